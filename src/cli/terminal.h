// Talking to the person at the terminal: questions, passwords without echo, opening a browser.
//
// Contract: prompts go to and answers come from /dev/tty, so they work even when stdout is
// piped; with no terminal they fail with invalid_argument saying which flag to use instead.
// Passwords are read with echo turned off (termios) and echo is always restored.
//
// Usage:
//   Result<std::string> user = ask("User name: ", /*echo=*/true, "--username");
//   Result<std::string> password = read_secret_from_stdin();  // for --password-stdin
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace k4ds::cli {

// Asks on the terminal; `flag` names the alternative for scripts in the error message.
Result<std::string> ask(std::string_view question, bool echo, std::string_view flag);
// One line from standard input without its line ending; an empty secret is invalid_argument.
Result<std::string> read_secret_from_stdin();
// Runs `xdg-open url` detached if xdg-open is on PATH; returns false when it is not.
bool open_in_browser(const std::string& url);
// The machine's host name, for naming tokens ("cli on laptop").
std::string host_name();

}  // namespace k4ds::cli
