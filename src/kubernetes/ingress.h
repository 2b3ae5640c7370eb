// The optional Ingress of a workspace, for sites whose own ingress controller (ingress-nginx)
// serves *.<domain>: the controller routes the workspace's host to its Service and asks k4ds's
// forward-auth endpoint about every request (docs/forward-auth.md). Pure functions, used by
// render_workspace (kubernetes/objects.h); nothing here talks to a cluster.
//
// Contract (options.ingress.enabled; otherwise every function returns nothing)
// - ingress_objects: three objects, labelled as the workspace's others and owned by its Pod:
//   1. Ingress "<pod>": host <user>-<name>.<domain>, path / (Prefix) → the workspace's Service,
//      with the ingress-nginx forward-auth annotations (auth-url, auth-signin with
//      rd=$scheme://$host$escaped_request_uri, auth-response-headers), hour-long proxy
//      timeouts for WebSockets and no body size limit (uploads).
//   2. Ingress "<pod>-login": the same host, path /_k4ds/callback (Exact) → k4ds, *without*
//      the auth annotations. The login callback must reach k4ds unchecked: the browser has no
//      workspace cookie yet (the callback is what sets it), so with the check it would be sent
//      back to the login page forever. ingress-nginx applies an Ingress's annotations to all of
//      its paths, hence a second Ingress; the controller merges both into one server.
//   3. Service "<pod>-k4ds" of type ExternalName → k4ds's own Service
//      (<gateway_service>.<gateway_namespace>.svc.<cluster_domain>): an Ingress may only name
//      Services of its own namespace, and k4ds usually runs in another one.
// - ingress_controller_peer: the NetworkPolicy peer that admits the controller's pods.
// - owned_object_paths: the API paths of everything the workspace's Pod owns (Service,
//   NetworkPolicy, and with the Ingress on the three objects above), which stop deletes. With
//   the Ingress off no ingress path is named, so k4ds needs no permission on Ingresses then.
// - check_ingress: failed_precondition naming the key to set when the options cannot render.
//
// Usage:
//   for (auto& o : ingress_objects(spec, options, ns, pod, labels, owner_refs)) objects.push_back(o);
//   if (auto peer = ingress_controller_peer(options)) from.push_back(*peer);
#pragma once

#include <boost/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "kubernetes/options.h"
#include "runtime/runtime.h"

namespace k4ds::kubernetes {

// ingress-nginx's annotation prefix.
inline constexpr std::string_view kNginxAnnotation = "nginx.ingress.kubernetes.io/";

std::string login_ingress_name(std::string_view pod_name);
std::string gateway_alias_name(std::string_view pod_name);

Status check_ingress(const IngressOptions& ingress);

// The auth-url for a workspace in namespace `ns` (k4ds's Service when not configured), and the
// auth-signin value: the login page with "rd=$scheme://$host$escaped_request_uri" added.
std::string ingress_auth_url(const KubernetesOptions& options, std::string_view ns);
std::string ingress_signin_url(const IngressOptions& ingress);

std::vector<boost::json::object> ingress_objects(const LaunchSpec& spec, const KubernetesOptions& options,
                                                 std::string_view ns, std::string_view pod_name,
                                                 const std::map<std::string, std::string>& labels,
                                                 const boost::json::array& owner_references);

std::optional<boost::json::object> ingress_controller_peer(const KubernetesOptions& options);

std::vector<std::string> owned_object_paths(std::string_view ns, std::string_view pod_name,
                                            const KubernetesOptions& options);

}  // namespace k4ds::kubernetes
