#include "kubernetes/ingress.h"

#include "kubernetes/names.h"

namespace k4ds::kubernetes {
namespace json = boost::json;

namespace {

// Long enough for a kernel or terminal WebSocket that is quiet between cells; ingress-nginx's
// default (60 s) would cut it.
constexpr const char* kProxyTimeoutSeconds = "3600";
constexpr const char* kCallbackPath = "/_k4ds/callback";

std::string annotation(std::string_view name) { return std::string(kNginxAnnotation) + std::string(name); }

json::object labels_json(const std::map<std::string, std::string>& labels) {
  json::object out;
  for (const auto& [k, v] : labels) out[k] = v;
  return out;
}

json::object metadata(std::string_view name, std::string_view ns, const std::map<std::string, std::string>& labels,
                      const json::array& owner_references) {
  json::object m{{"name", name}, {"namespace", ns}, {"labels", labels_json(labels)}};
  if (!owner_references.empty()) m["ownerReferences"] = owner_references;
  return m;
}

json::object ingress(json::object meta, const IngressOptions& o, const std::string& host, std::string_view path,
                     std::string_view path_type, std::string_view service, int port) {
  json::object spec{{"ingressClassName", o.class_name}};
  if (!o.tls_secret.empty()) {
    spec["tls"] = json::array{json::object{{"hosts", json::array{host.c_str()}}, {"secretName", o.tls_secret}}};
  }
  json::object backend{{"service", json::object{{"name", service}, {"port", json::object{{"number", port}}}}}};
  spec["rules"] = json::array{json::object{
      {"host", host},
      {"http", json::object{{"paths", json::array{json::object{
                                          {"path", path}, {"pathType", path_type}, {"backend", backend}}}}}}}};
  return json::object{{"apiVersion", "networking.k8s.io/v1"}, {"kind", "Ingress"}, {"metadata", std::move(meta)},
                      {"spec", std::move(spec)}};
}

std::string gateway_host(const KubernetesOptions& o, std::string_view ns) {
  std::string gateway_ns = o.gateway_namespace.empty() ? std::string(ns) : o.gateway_namespace;
  return o.ingress.gateway_service + "." + gateway_ns + ".svc." + o.ingress.cluster_domain;
}

}  // namespace

std::string login_ingress_name(std::string_view pod_name) { return dns_label(std::string(pod_name) + "-login"); }
std::string gateway_alias_name(std::string_view pod_name) { return dns_label(std::string(pod_name) + "-k4ds"); }

Status check_ingress(const IngressOptions& ingress) {
  if (!ingress.enabled) return ok_status();
  if (ingress.domain.empty()) {
    return failed_precondition("the Kubernetes runtime's Ingress has no domain; set runtime.ingress.domain to the "
                               "config's domain (workspaces answer on <user>-<name>.<domain>)");
  }
  if (ingress.class_name.empty() || ingress.gateway_service.empty() || ingress.gateway_port <= 0 ||
      ingress.gateway_port > 65535) {
    return failed_precondition("the Kubernetes runtime's Ingress needs a class, and k4ds's Service name and port "
                               "(runtime.ingress.class, gateway_service, gateway_port)");
  }
  return ok_status();
}

std::string ingress_auth_url(const KubernetesOptions& o, std::string_view ns) {
  if (!o.ingress.auth_url.empty()) return o.ingress.auth_url;
  return "http://" + gateway_host(o, ns) + ":" + std::to_string(o.ingress.gateway_port) + "/_k4ds/auth/nginx";
}

std::string ingress_signin_url(const IngressOptions& ingress) {
  std::string login = ingress.signin_url.empty() ? "https://" + ingress.domain + "/login" : ingress.signin_url;
  // The variables are ingress-nginx's (nginx's): the original URL, escaped where it must be.
  return login + (login.find('?') == std::string::npos ? "?" : "&") + "rd=$scheme://$host$escaped_request_uri";
}

std::vector<json::object> ingress_objects(const LaunchSpec& spec, const KubernetesOptions& o, std::string_view ns,
                                          std::string_view pod_name, const std::map<std::string, std::string>& labels,
                                          const json::array& owner_references) {
  if (!o.ingress.enabled) return {};
  const IngressOptions& in = o.ingress;
  const std::string host = workspace_host(spec.owner, spec.name, in.domain);

  json::object workspace_meta = metadata(pod_name, ns, labels, owner_references);
  workspace_meta["annotations"] = json::object{
      {annotation("auth-url"), ingress_auth_url(o, ns)},
      {annotation("auth-signin"), ingress_signin_url(in)},
      // The identity k4ds decided on, set by the controller (replacing whatever the client
      // sent; nginx drops headers spelled with "_" by default).
      {annotation("auth-response-headers"), "Remote-User,Remote-Groups,X-K4DS-User,X-K4DS-Groups"},
      {annotation("proxy-read-timeout"), kProxyTimeoutSeconds},
      {annotation("proxy-send-timeout"), kProxyTimeoutSeconds},
      {annotation("proxy-body-size"), "0"},  // no limit: notebooks and data files are uploaded
  };
  std::vector<json::object> out;
  out.push_back(ingress(std::move(workspace_meta), in, host, "/", "Prefix", pod_name, spec.environment.port));

  const std::string alias = gateway_alias_name(pod_name);
  out.push_back(ingress(metadata(login_ingress_name(pod_name), ns, labels, owner_references), in, host,
                        kCallbackPath, "Exact", alias, in.gateway_port));
  out.push_back(json::object{
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", metadata(alias, ns, labels, owner_references)},
      {"spec", json::object{{"type", "ExternalName"},
                            {"externalName", gateway_host(o, ns)},
                            {"ports", json::array{json::object{
                                          {"name", "http"}, {"port", in.gateway_port}, {"protocol", "TCP"}}}}}}});
  return out;
}

std::optional<json::object> ingress_controller_peer(const KubernetesOptions& o) {
  if (!o.ingress.enabled) return std::nullopt;
  json::object peer{{"podSelector", json::object{{"matchLabels", labels_json(o.ingress.controller_pod_labels)}}}};
  if (!o.ingress.controller_namespace.empty()) {
    peer["namespaceSelector"] = json::object{
        {"matchLabels", json::object{{"kubernetes.io/metadata.name", o.ingress.controller_namespace}}}};
  }
  return peer;
}

std::vector<std::string> owned_object_paths(std::string_view ns_view, std::string_view pod_view,
                                            const KubernetesOptions& o) {
  const std::string ns(ns_view), pod(pod_view);
  std::vector<std::string> paths{"/api/v1/namespaces/" + ns + "/services/" + pod,
                                 "/apis/networking.k8s.io/v1/namespaces/" + ns + "/networkpolicies/" + pod};
  if (o.ingress.enabled) {
    const std::string ingresses = "/apis/networking.k8s.io/v1/namespaces/" + ns + "/ingresses/";
    paths.push_back(ingresses + pod);
    paths.push_back(ingresses + login_ingress_name(pod));
    paths.push_back("/api/v1/namespaces/" + ns + "/services/" + gateway_alias_name(pod));
  }
  return paths;
}

}  // namespace k4ds::kubernetes
