// k4ds quota: what your quota allows and what is in use. k4ds admin quota ls|set|rm: limits per
// user, per group and for everyone (the server checks them at every launch and start).
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "cli/verbs.h"

namespace k4ds::cli {
namespace {

namespace json = boost::json;

constexpr const char* kLimits[] = {"workspaces", "cpu", "memory", "gpus"};

struct QuotaOptions {
  std::string subject;
  std::string user;
  std::string output;
  // set: one text per limit; "" = keep, "none" = no limit.
  std::string workspaces, cpu, memory, gpus;
  const std::string* text_of(std::string_view limit) const {
    if (limit == "workspaces") return &workspaces;
    if (limit == "cpu") return &cpu;
    if (limit == "memory") return &memory;
    return &gpus;
  }
};

std::string quota_path(const std::string& subject) {
  return "/api/v1/quotas/" + encode_path_segment(subject);
}

// A limit as shown: "-" for no limit.
std::string shown(const json::value& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return std::string(v.get_string());
  return json::serialize(v);
}

Status quota_show(ApiClient& api, const QuotaOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  std::string target = "/api/v1/quota";
  if (!o.user.empty()) target += "?user=" + encode_path_segment(o.user);
  Result<json::value> quota = api.get(target);
  if (!quota) return quota.status();
  print_value(std::cout, *format, *quota, [&] {
    Table t({"LIMIT", "IN USE", "QUOTA", "SET BY"});
    for (const char* name : kLimits) {
      const json::value& use = field(*quota, name);
      t.add_row({name, shown(field(use, "used")), shown(field(use, "limit")), str_field(use, "from")});
    }
    std::cout << t.render();
    std::string fit, refused;
    const json::value& sizes = field(*quota, "sizes");
    if (sizes.is_array()) {
      for (const auto& size : sizes.get_array()) {
        if (bool_field(size, "fits")) fit += (fit.empty() ? "" : ", ") + str_field(size, "name");
        else refused += "  " + str_field(size, "name") + ": " + str_field(size, "reason") + "\n";
      }
    }
    std::cout << "\nSizes you can launch now: " << (fit.empty() ? "none" : fit) << "\n";
    if (!refused.empty()) std::cout << "Sizes that do not fit:\n" << refused;
  });
  return ok_status();
}

Status quota_ls(ApiClient& api, const QuotaOptions& o) {
  Result<OutputFormat> format = output_format(o.output);
  if (!format) return format.status();
  Result<json::value> list = api.get("/api/v1/quotas");
  if (!list) return list.status();
  print_value(std::cout, *format, *list, [&] {
    Table t({"SUBJECT", "WORKSPACES", "CPU", "MEMORY", "GPUS", "UPDATED BY"});
    for (const auto& q : items_of(*list)) {
      t.add_row({str_field(q, "subject"), shown(field(q, "workspaces")), shown(field(q, "cpu")),
                 shown(field(q, "memory")), shown(field(q, "gpus")), str_field(q, "updated_by")});
    }
    std::cout << t.render();
    if (items_of(*list).empty()) std::cout << "(no quotas: nobody is limited)\n";
  });
  return ok_status();
}

// Read-modify-write: the limits not named keep their value; the version makes a concurrent
// change by another admin an error instead of a silent overwrite.
Status quota_set(ApiClient& api, const QuotaOptions& o) {
  json::object body{{"workspaces", nullptr}, {"cpu", nullptr}, {"memory", nullptr}, {"gpus", nullptr}};
  Result<json::value> current = api.get(quota_path(o.subject));
  if (current) {
    for (const char* name : kLimits) body[name] = field(*current, name);
    body["version"] = field(*current, "version");
  } else if (current.status().code() != Code::not_found) {
    return current.status();
  }
  bool any = false;
  for (const char* name : kLimits) {
    const std::string& text = *o.text_of(name);
    if (text.empty()) continue;
    any = true;
    if (text == "none") {
      body[name] = nullptr;
    } else if (std::string_view(name) == "cpu" || std::string_view(name) == "memory") {
      body[name] = text;
    } else {
      char* end = nullptr;
      long long n = std::strtoll(text.c_str(), &end, 10);
      if (end == text.c_str() || *end != '\0') {
        return invalid_argument("--" + std::string(name) + " must be a whole number or \"none\", not \"" + text + "\"");
      }
      body[name] = n;
    }
  }
  if (!any) return invalid_argument("name at least one limit: --workspaces, --cpu, --memory or --gpus");
  Result<json::value> stored = api.put(quota_path(o.subject), body);
  if (!stored) return stored.status();
  std::cout << "Quota for " << o.subject << ":";
  for (const char* name : kLimits) std::cout << " " << name << "=" << shown(field(*stored, name));
  std::cout << "\n";
  return ok_status();
}

Status quota_rm(ApiClient& api, const QuotaOptions& o) {
  Result<json::value> gone = api.del(quota_path(o.subject));
  if (!gone) return gone.status();
  std::cout << "Removed the quota for " << o.subject << "\n";
  return ok_status();
}

CLI::App* quota_verb(CLI::App& parent, const Context& ctx, const std::string& name,
                     const std::string& description,
                     Status (*fn)(ApiClient&, const QuotaOptions&),
                     std::shared_ptr<QuotaOptions>& o) {
  o = std::make_shared<QuotaOptions>();
  CLI::App* cmd = parent.add_subcommand(name, description);
  cmd->callback([ctx, o, fn] { run_verb(ctx, [&](ApiClient& api) { return fn(api, *o); }); });
  return cmd;
}

}  // namespace

void add_quota_verbs(CLI::App& app, CLI::App& admin, const Context& ctx) {
  std::shared_ptr<QuotaOptions> o;
  CLI::App* show = quota_verb(app, ctx, "quota", "Show your quota: limits, what is in use, which sizes fit",
                              quota_show, o);
  show->add_option("--user", o->user, "Another user's quota (admins)");
  add_output_option(show, &o->output);

  CLI::App* quota = admin.add_subcommand("quota", "Limit what users' active workspaces may hold");
  quota->require_subcommand(1);
  quota->footer(
      "A user's limit comes from their own quota, else the most generous of their groups',\n"
      "else the \"default\" quota, else there is none. Stopped workspaces count for nothing.");
  CLI::App* ls = quota_verb(*quota, ctx, "ls", "List the quotas that are set", quota_ls, o);
  add_output_option(ls, &o->output);
  CLI::App* set = quota_verb(*quota, ctx, "set", "Set limits (the others keep their value)", quota_set, o);
  set->add_option("subject", o->subject, "default, user:NAME or group:NAME")->required();
  set->add_option("--workspaces", o->workspaces, "Active workspaces at once, or none");
  set->add_option("--cpu", o->cpu, "CPUs over all active workspaces (4, 0.5, 500m), or none");
  set->add_option("--memory", o->memory, "Memory over all active workspaces (16Gi), or none");
  set->add_option("--gpus", o->gpus, "GPUs over all active workspaces, or none");
  set->footer("Example:\n  k4ds admin quota set default --workspaces 3 --cpu 8 --memory 32Gi --gpus 0\n"
              "  k4ds admin quota set group:gpu-team --gpus 2");
  CLI::App* rm = quota_verb(*quota, ctx, "rm", "Remove a quota", quota_rm, o);
  rm->add_option("subject", o->subject, "default, user:NAME or group:NAME")->required();
}

}  // namespace k4ds::cli
