// Extra volumes in a local workspace: the owner's other volumes appear in the home volume as
// volumes/<name>, symbolic links to the volumes' directories.
//
// Contract: runs as root on a directory the workspace's account owns, so it never follows a
// link the account may have planted: home and home/volumes are opened with O_NOFOLLOW and every
// change is made relative to those descriptors. A link of ours is replaced; anything else the
// user put at volumes/<name> (a file, a directory) is left alone and reported. Links and the
// volumes directory belong to the account (chown_it: uid/gid).
//
// Usage:
//   std::vector<std::string> skipped;
//   Status s = link_volumes(home, {{"/data/volumes/<uuid>", "data"}}, true, uid, gid, skipped);
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace k4ds::local {

// targets: (volume directory, name). `skipped` gets a sentence for each name left alone.
Status link_volumes(const std::string& home, const std::vector<std::pair<std::string, std::string>>& targets,
                    bool chown_it, uid_t uid, gid_t gid, std::vector<std::string>& skipped);

}  // namespace k4ds::local
