#include "common/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

namespace k4ds {
namespace {

// %j: the message as a JSON string body (quotes, backslashes and control characters escaped),
// so every line stays one valid JSON object whatever the message holds.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      switch (c) {
        case '"': dest.append(std::string_view("\\\"")); break;
        case '\\': dest.append(std::string_view("\\\\")); break;
        case '\n': dest.append(std::string_view("\\n")); break;
        case '\r': dest.append(std::string_view("\\r")); break;
        case '\t': dest.append(std::string_view("\\t")); break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            const char esc[] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 15], kHex[c & 15]};
            dest.append(esc, esc + sizeof esc);
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<spdlog::custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

std::once_flag g_setup;

}  // namespace

void setup_logging() {
  std::call_once(g_setup, [] {
    auto logger = std::make_shared<spdlog::logger>("k4ds", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    if (::isatty(STDERR_FILENO)) {
      logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
    } else {
      auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
      formatter->add_flag<JsonMessageFlag>('j').set_pattern(
          R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","component":"%n","message":"%j"})");
      logger->set_formatter(std::move(formatter));
    }
    const char* level = std::getenv("K4DS_LOG_LEVEL");
    logger->set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
    spdlog::set_default_logger(logger);
  });
}

std::shared_ptr<spdlog::logger> component_logger(const std::string& component) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (auto existing = spdlog::get(component)) return existing;
  auto logger = spdlog::default_logger()->clone(component);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace k4ds
