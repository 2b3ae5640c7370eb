#include "kubernetes/objects.h"

#include <openssl/evp.h>

#include "kubernetes/ingress.h"
#include "kubernetes/names.h"
#include "kubernetes/quota_objects.h"

namespace k4ds::kubernetes {
namespace json = boost::json;

namespace {

json::object labels_json(const std::map<std::string, std::string>& labels) {
  json::object out;
  for (const auto& [k, v] : labels) out[k] = v;
  return out;
}

json::object metadata(std::string_view name, std::string_view ns,
                      const std::map<std::string, std::string>& labels) {
  json::object m{{"name", name}, {"labels", labels_json(labels)}};
  if (!ns.empty()) m["namespace"] = ns;
  return m;
}

json::array owned_by_pod(std::string_view pod_name, std::string_view pod_uid) {
  // controller=true: the Pod is *the* owner; blockOwnerDeletion keeps foreground deletion honest.
  return json::array{json::object{{"apiVersion", "v1"},
                                  {"kind", "Pod"},
                                  {"name", pod_name},
                                  {"uid", pod_uid},
                                  {"controller", true},
                                  {"blockOwnerDeletion", true}}};
}

// Placeholders in environment variable values, as the local runtime offers them (minus the
// host paths, which mean nothing inside an image).
std::string expand(std::string_view text, const std::map<std::string, std::string>& values,
                   std::string* unknown) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    size_t close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) break;
    std::string key(text.substr(open + 1, close - open - 1));
    auto it = values.find(key);
    if (it == values.end()) {
      *unknown = key;
      return "";
    }
    out += std::string(text.substr(i, open - i)) + it->second;
    i = close + 1;
  }
  out += std::string(text.substr(i));
  return out;
}

json::object pull_secret(std::string_view ns, const std::string& config) {
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"metadata", metadata(kPullSecretName, ns, {{kManagedByLabel, kManagedByValue}})},
      {"type", "kubernetes.io/dockerconfigjson"},
      {"data", json::object{{".dockerconfigjson", base64_encode(config)}}}};
}

json::array volume_objects_nfs(const LaunchSpec& spec, const std::string& volume_id, const KubernetesOptions& o,
                               std::string_view ns, std::string_view name) {
  std::map<std::string, std::string> labels{{kManagedByLabel, kManagedByValue},
                                            {kOwnerLabel, label_value(spec.owner)},
                                            {kVolumeIdLabel, label_value(volume_id)}};
  std::string path = o.nfs_export;
  while (!path.empty() && path.back() == '/') path.pop_back();
  path += "/" + volume_id;
  std::string size = memory_quantity(o.volume_size_bytes);
  // Retain: the PV outlives its claim; "" storage class + volumeName/claimRef bind exactly
  // this PV to this PVC, never to a dynamically provisioned one.
  json::object pv{
      {"apiVersion", "v1"},
      {"kind", "PersistentVolume"},
      {"metadata", metadata(name, "", labels)},
      {"spec", json::object{{"capacity", json::object{{"storage", size}}},
                            {"accessModes", json::array{"ReadWriteMany"}},
                            {"persistentVolumeReclaimPolicy", "Retain"},
                            {"storageClassName", ""},
                            {"claimRef", json::object{{"namespace", ns}, {"name", name}}},
                            {"nfs", json::object{{"server", o.nfs_server}, {"path", path}}}}}};
  json::object pvc{
      {"apiVersion", "v1"},
      {"kind", "PersistentVolumeClaim"},
      {"metadata", metadata(name, ns, labels)},
      {"spec", json::object{{"accessModes", json::array{"ReadWriteMany"}},
                            {"storageClassName", ""},
                            {"volumeName", name},
                            {"resources", json::object{{"requests", json::object{{"storage", size}}}}}}}};
  return json::array{pv, pvc};
}

json::object volume_claim(const LaunchSpec& spec, const std::string& volume_id, const KubernetesOptions& o,
                          std::string_view ns, std::string_view name) {
  std::map<std::string, std::string> labels{{kManagedByLabel, kManagedByValue},
                                            {kOwnerLabel, label_value(spec.owner)},
                                            {kVolumeIdLabel, label_value(volume_id)}};
  json::object pvc_spec{
      {"accessModes", json::array{"ReadWriteOnce"}},
      {"resources",
       json::object{{"requests", json::object{{"storage", memory_quantity(o.volume_size_bytes)}}}}}};
  if (!o.storage_class.empty()) pvc_spec["storageClassName"] = o.storage_class;
  return json::object{{"apiVersion", "v1"},
                      {"kind", "PersistentVolumeClaim"},
                      {"metadata", metadata(name, ns, labels)},
                      {"spec", pvc_spec}};
}

}  // namespace

std::string cpu_quantity(int64_t millis) {
  if (millis % 1000 == 0) return std::to_string(millis / 1000);
  return std::to_string(millis) + "m";
}

std::string memory_quantity(int64_t bytes) {
  static constexpr std::pair<int, const char*> units[] = {{40, "Ti"}, {30, "Gi"}, {20, "Mi"}, {10, "Ki"}};
  for (auto [shift, suffix] : units) {
    int64_t unit = int64_t{1} << shift;
    if (bytes >= unit && bytes % unit == 0) return std::to_string(bytes / unit) + suffix;
  }
  return std::to_string(bytes);
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> docker_config_json(const std::vector<RegistryCredential>& registries) {
  json::object auths;
  for (const RegistryCredential& r : registries) {
    if (r.server.empty()) {
      return failed_precondition("a registry credential has no server; set `server` (for example "
                                 "europe-docker.pkg.dev) in the runtime's registries");
    }
    std::string user = r.username;
    std::string password = r.password;
    if (!r.json_key.empty()) {
      // Check the key now: a broken key would otherwise surface as "image pull failed" later.
      boost::system::error_code ec;
      json::value key = json::parse(r.json_key, ec);
      if (ec || !key.is_object() || !key.as_object().contains("private_key")) {
        return failed_precondition("the JSON key for registry " + r.server +
                                   " is not a Google Cloud service-account key (a JSON object with "
                                   "\"private_key\"); download a new key for the service account");
      }
      user = "_json_key";
      password = r.json_key;
    } else if (user.empty() || password.empty()) {
      return failed_precondition("the credential for registry " + r.server +
                                 " needs a username and a password, or a json_key");
    }
    auths[r.server] = json::object{{"username", user},
                                   {"password", password},
                                   {"auth", base64_encode(user + ":" + password)}};
  }
  return json::serialize(json::object{{"auths", auths}});
}

Result<WorkspaceObjects> render_workspace(const LaunchSpec& spec, const KubernetesOptions& o,
                                          PosixIds ids, std::string_view pod_uid) {
  const Environment& env = spec.environment;
  if (env.image.empty()) {
    return failed_precondition("the environment " + env.name +
                               " has no container image; an admin must set `image` in its "
                               "catalog entry to run it on Kubernetes");
  }
  if (env.port <= 0 || env.port > 65535) {
    return failed_precondition("the environment " + env.name +
                               " listens on a Unix socket; on Kubernetes it needs a TCP `port` "
                               "in its catalog entry");
  }
  if (!o.nfs_server.empty() && o.nfs_export.empty()) {
    return failed_precondition("the Kubernetes runtime has an NFS server but no export path; "
                               "set nfs.export in the runtime config");
  }
  if (Status s = check_ingress(o.ingress); !s.ok()) return s;

  WorkspaceObjects out;
  out.namespace_name = workspace_namespace(spec.owner, o);
  out.pod_name = workspace_object_name(spec);
  const std::string& ns = out.namespace_name;
  const std::string& name = out.pod_name;
  auto labels = workspace_labels(spec);
  int64_t uid = ids.uid >= 0 ? ids.uid : o.default_uid;
  int64_t gid = ids.gid >= 0 ? ids.gid : o.default_gid;

  if (o.namespace_mode == NamespaceMode::per_user) {
    out.objects.push_back(json::object{
        {"apiVersion", "v1"},
        {"kind", "Namespace"},
        {"metadata", metadata(ns, "", {{kManagedByLabel, kManagedByValue},
                                       {kOwnerLabel, label_value(spec.owner)}})}});
    // The namespace is the owner's alone, so Kubernetes can hold it to the owner's quota too.
    if (spec.owner_quota) {
      for (json::object& limit : quota_objects(ns, spec.owner, *spec.owner_quota)) out.objects.push_back(std::move(limit));
    }
  }
  std::string volume_name = volume_object_name(spec.volume_id);
  // The home volume, then the owner's other volumes (mounted as volumes/<name> in home).
  std::vector<std::string> volume_ids;
  if (!spec.volume_id.empty()) {
    volume_ids.push_back(spec.volume_id);
    for (const auto& extra : spec.extra_volumes) volume_ids.push_back(extra.volume_id);
  }
  for (const std::string& id : volume_ids) {
    if (!o.nfs_server.empty()) {
      for (json::value& v : volume_objects_nfs(spec, id, o, ns, volume_object_name(id))) {
        out.objects.push_back(std::move(v.as_object()));
      }
    } else {
      out.objects.push_back(volume_claim(spec, id, o, ns, volume_object_name(id)));
    }
  }
  if (!o.registries.empty()) {
    auto config = docker_config_json(o.registries);
    if (!config) return config.status();
    out.objects.push_back(pull_secret(ns, *config));
  }

  std::map<std::string, std::string> values{{"port", std::to_string(env.port)},
                                            {"workspace", spec.workspace_id},
                                            {"user", spec.owner},
                                            {"name", spec.name}};
  std::string unknown;
  std::string home = expand(o.home_path, values, &unknown);
  if (!unknown.empty()) {
    return failed_precondition("the Kubernetes runtime's home_path uses an unknown placeholder {" +
                               unknown + "}; use {user}, {name} or {workspace}");
  }
  values["home"] = home;
  std::map<std::string, std::string> variables{
      {"HOME", home},
      {"USER", spec.owner},
      {"K4DS_WORKSPACE", spec.owner + "/" + spec.name},
      {"K4DS_MEMORY_LIMIT", std::to_string(spec.size.memory_bytes)},
  };
  for (const auto& [k, v] : env.env) {
    std::string value = expand(v, values, &unknown);
    if (!unknown.empty()) {
      return failed_precondition("the environment variable " + k + " of " + env.name +
                                 " uses {" + unknown + "}, which has no meaning on Kubernetes; "
                                 "use {port}, {home}, {user}, {name} or {workspace}");
    }
    variables[k] = value;
  }
  json::array env_json;
  for (const auto& [k, v] : variables) env_json.push_back(json::object{{"name", k}, {"value", v}});

  // requests = limits: the size is a promise, so the workspace gets Guaranteed QoS and is the
  // last to be evicted under node pressure.
  json::object amounts;
  if (spec.size.cpu_millis > 0) amounts["cpu"] = cpu_quantity(spec.size.cpu_millis);
  if (spec.size.memory_bytes > 0) amounts["memory"] = memory_quantity(spec.size.memory_bytes);
  if (spec.size.gpus > 0) amounts["nvidia.com/gpu"] = std::to_string(spec.size.gpus);

  json::object container{
      {"name", "workspace"},
      {"image", env.image},
      {"env", env_json},
      {"ports", json::array{json::object{{"name", "http"}, {"containerPort", env.port}, {"protocol", "TCP"}}}},
      {"resources", json::object{{"requests", amounts}, {"limits", amounts}}},
      {"securityContext",
       json::object{{"runAsNonRoot", true},
                    {"runAsUser", uid},
                    {"runAsGroup", gid},
                    {"allowPrivilegeEscalation", false},
                    {"privileged", false},
                    {"capabilities", json::object{{"drop", json::array{"ALL"}}}},
                    {"seccompProfile", json::object{{"type", "RuntimeDefault"}}}}},
      {"readinessProbe",
       json::object{{"httpGet", json::object{{"path", env.health_path.empty() ? "/" : env.health_path},
                                             {"port", "http"}}},
                    {"periodSeconds", 5},
                    {"timeoutSeconds", 3},
                    {"failureThreshold", 3}}},
  };
  json::object pod_spec{
      {"restartPolicy", "Never"},  // the controller decides about restarts, not the kubelet
      {"automountServiceAccountToken", false},
      {"enableServiceLinks", false},
      {"securityContext", json::object{{"runAsNonRoot", true},
                                       {"runAsUser", uid},
                                       {"runAsGroup", gid},
                                       {"fsGroup", gid},
                                       {"seccompProfile", json::object{{"type", "RuntimeDefault"}}}}},
  };
  if (!spec.volume_id.empty()) {
    json::array mounts{json::object{{"name", "home"}, {"mountPath", home}}};
    json::array volumes{json::object{
        {"name", "home"}, {"persistentVolumeClaim", json::object{{"claimName", volume_name}}}}};
    for (std::size_t i = 0; i < spec.extra_volumes.size(); ++i) {
      const std::string name = "volume-" + std::to_string(i + 1);
      mounts.push_back(json::object{{"name", name}, {"mountPath", home + "/volumes/" + spec.extra_volumes[i].name}});
      volumes.push_back(json::object{
          {"name", name},
          {"persistentVolumeClaim", json::object{{"claimName", volume_object_name(spec.extra_volumes[i].volume_id)}}}});
    }
    container["volumeMounts"] = std::move(mounts);
    pod_spec["volumes"] = std::move(volumes);
  }
  pod_spec["containers"] = json::array{container};
  if (!o.registries.empty()) {
    pod_spec["imagePullSecrets"] = json::array{json::object{{"name", kPullSecretName}}};
  }
  json::array tolerations;
  json::object selector;
  if (auto pool = o.node_pools.find(spec.size.name); pool != o.node_pools.end()) {
    for (const auto& [k, v] : pool->second.node_selector) selector[k] = v;
    for (const Toleration& t : pool->second.tolerations) {
      json::object tj{{"key", t.key}, {"operator", t.op}};
      if (!t.value.empty()) tj["value"] = t.value;
      if (!t.effect.empty()) tj["effect"] = t.effect;
      tolerations.push_back(std::move(tj));
    }
  }
  if (spec.size.gpus > 0 && o.tolerate_gpu_taint) {
    tolerations.push_back(json::object{{"key", "nvidia.com/gpu"}, {"operator", "Exists"}, {"effect", "NoSchedule"}});
  }
  if (!selector.empty()) pod_spec["nodeSelector"] = selector;
  if (!tolerations.empty()) pod_spec["tolerations"] = tolerations;

  out.objects.push_back(json::object{{"apiVersion", "v1"},
                                     {"kind", "Pod"},
                                     {"metadata", metadata(name, ns, labels)},
                                     {"spec", pod_spec}});

  json::object selector_labels{{kWorkspaceIdLabel, label_value(spec.workspace_id)}};
  json::object service_meta = metadata(name, ns, labels);
  json::object policy_meta = metadata(name, ns, labels);
  if (!pod_uid.empty()) {
    service_meta["ownerReferences"] = owned_by_pod(name, pod_uid);
    policy_meta["ownerReferences"] = owned_by_pod(name, pod_uid);
  }
  out.objects.push_back(json::object{
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", service_meta},
      {"spec", json::object{{"type", "ClusterIP"},
                            {"selector", selector_labels},
                            {"ports", json::array{json::object{{"name", "http"},
                                                               {"port", env.port},
                                                               {"targetPort", "http"},
                                                               {"protocol", "TCP"}}}}}}});

  json::object gateway_peer{{"podSelector", json::object{{"matchLabels", labels_json(o.gateway_pod_labels)}}}};
  if (!o.gateway_namespace.empty()) {
    gateway_peer["namespaceSelector"] = json::object{
        {"matchLabels", json::object{{"kubernetes.io/metadata.name", o.gateway_namespace}}}};
  }
  json::array peers{gateway_peer};
  if (auto controller = ingress_controller_peer(o)) peers.push_back(std::move(*controller));  // Ingress on
  out.objects.push_back(json::object{
      {"apiVersion", "networking.k8s.io/v1"},
      {"kind", "NetworkPolicy"},
      {"metadata", policy_meta},
      {"spec", json::object{{"podSelector", json::object{{"matchLabels", selector_labels}}},
                            {"policyTypes", json::array{"Ingress"}},
                            {"ingress", json::array{json::object{
                                            {"from", peers},
                                            {"ports", json::array{json::object{{"protocol", "TCP"},
                                                                               {"port", env.port}}}}}}}}}});
  json::array owners = pod_uid.empty() ? json::array{} : owned_by_pod(name, pod_uid);
  for (json::object& object : ingress_objects(spec, o, ns, name, labels, owners)) {
    out.objects.push_back(std::move(object));
  }
  return out;
}

}  // namespace k4ds::kubernetes
