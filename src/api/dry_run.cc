#include "api/dry_run.h"

#include "kubernetes/clusters.h"
#include "kubernetes/objects.h"

namespace k4ds::api {
namespace json = boost::json;

Result<json::object> launch_preview(json::object workspace_json, const Workspace& workspace,
                                    const Environment& environment, const Size& size,
                                    const User* user, std::optional<QuotaLimits> owner_quota,
                                    std::vector<LaunchSpec::Mount> extra_volumes,
                                    const kubernetes::KubernetesOptions* configured) {
  LaunchSpec spec{.workspace_id = workspace.id,
                  .owner = workspace.owner,
                  .name = workspace.name,
                  .volume_id = workspace.volumes.empty() ? "" : workspace.volumes.front(),
                  .extra_volumes = std::move(extra_volumes),
                  .environment = environment,
                  .size = size,
                  .owner_quota = std::move(owner_quota)};
  kubernetes::PosixIds ids;
  if (user) ids = {.uid = user->uid_number, .gid = user->gid_number};
  // With several clusters, the options of the one that runs this size (its storage, node pools).
  const kubernetes::KubernetesOptions options =
      configured ? kubernetes::options_for_size(*configured, size.name) : kubernetes::KubernetesOptions{};
  auto rendered = kubernetes::render_workspace(spec, options, ids);
  if (!rendered) {
    return Status(rendered.status().code(),
                  "dry run: " + rendered.status().message());
  }
  json::array objects;
  for (auto& o : rendered->objects) objects.push_back(std::move(o));
  return json::object{
      {"dry_run", true},
      {"workspace", std::move(workspace_json)},
      {"runtime", "kubernetes"},
      {"objects", std::move(objects)},
      {"note",
       std::string("Nothing was created. These are the objects the Kubernetes runtime creates for this "
                   "launch, ") +
           (configured ? "with this server's settings. "
                       : "with its default settings (a namespace per user, the cluster's default storage "
                         "class, no registry credentials); this server runs workspaces with its own "
                         "runtime. ") +
           "The objects made for the Pod (Service, NetworkPolicy and any Ingress) get an owner "
           "reference to it once it exists, so they go when it goes. The "
           "workspace id (and a new home volume's id) are drawn at launch, so names containing "
           "them differ."}};
}

}  // namespace k4ds::api
