// `POST /api/v1/workspaces?dry_run=true`: what launching would create, without storing anything.
//
// Contract: the reply is {"dry_run": true, "workspace": {...as it would be stored...},
// "runtime": "kubernetes", "objects": [...Kubernetes objects...], "note": "..."}. The objects are
// rendered by src/kubernetes with the configured Kubernetes runtime's options, or, on a server
// with another runtime, with that runtime's defaults (and `note` says so). The workspace id and
// a new home volume's id are drawn at launch, so names that contain them differ from the real
// launch.
#pragma once

#include <boost/json.hpp>

#include "common/result.h"
#include "kubernetes/options.h"
#include "model/model.h"
#include "model/quota.h"
#include "runtime/runtime.h"

namespace k4ds::api {

// `user` may be null (a built-in user whose record cannot be read): default uid/gid apply.
// `configured` null: this server does not run workspaces on Kubernetes; the defaults are used.
Result<boost::json::object> launch_preview(boost::json::object workspace_json,
                                           const Workspace& workspace,
                                           const Environment& environment, const Size& size,
                                           const User* user, std::optional<QuotaLimits> owner_quota,
                                           std::vector<LaunchSpec::Mount> extra_volumes,
                                           const kubernetes::KubernetesOptions* configured);

}  // namespace k4ds::api
