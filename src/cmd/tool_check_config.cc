// `vigil tool check config FILE...`: validates prometheus.yml files like `promtool check
// config`, with the same output lines and exit codes (0 all valid, 1 otherwise).
#include <glob.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cmd/commands.h"
#include "config/config.h"

namespace vigil::cmd {
namespace {

std::vector<std::string> Glob(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  return out;
}

// "" when the file exists, else the reason, like Go's os.Stat error text.
std::string StatError(const std::string& path) {
  struct stat st;
  if (path.empty() || ::stat(path.c_str(), &st) == 0) return "";
  return "stat " + path + ": " + std::strerror(errno);
}

std::string Quote(const std::string& s) { return relabel::GoQuote(s); }

Status CheckTLS(const config::TLSConfig& t, bool syntax_only) {
  if (!t.cert_file.empty() && t.key_file.empty()) {
    return Status::InvalidArgument("client cert file " + Quote(t.cert_file) +
                                   " specified without client key file");
  }
  if (!t.key_file.empty() && t.cert_file.empty()) {
    return Status::InvalidArgument("client key file " + Quote(t.key_file) +
                                   " specified without client cert file");
  }
  if (syntax_only) return Status::OK();
  if (std::string e = StatError(t.cert_file); !e.empty()) {
    return Status::InvalidArgument("error checking client cert file " + Quote(t.cert_file) + ": " +
                                   e);
  }
  if (std::string e = StatError(t.key_file); !e.empty()) {
    return Status::InvalidArgument("error checking client key file " + Quote(t.key_file) + ": " +
                                   e);
  }
  return Status::OK();
}

Status CheckTargets(const std::vector<config::StaticConfig>& groups, bool has_relabel) {
  if (has_relabel) return Status::OK();
  for (const auto& g : groups) {
    for (const auto& t : g.targets) {
      if (t.find('/') != std::string::npos) {
        return Status::InvalidArgument(Quote(t) + " is not a valid hostname");
      }
    }
  }
  return Status::OK();
}

// file_sd files: parsed when present, a warning when missing (promtool's behaviour).
Status CheckFileSD(const config::ServiceDiscoveryConfigs& sd, bool has_relabel,
                   const std::string& owner) {
  for (const auto& f : sd.file_sd_configs) {
    for (const auto& pattern : f.files) {
      std::vector<std::string> files = Glob(pattern);
      if (files.empty()) {
        std::printf("  WARNING: file %s for file_sd in %s does not exist\n", Quote(pattern).c_str(),
                    owner.c_str());
        continue;
      }
      for (const auto& file : files) {
        auto groups = config::LoadTargetGroupsFile(file);
        if (!groups) {
          return Status::InvalidArgument("checking SD file " + Quote(pattern) + ": " +
                                         std::string(groups.error().message()));
        }
        VIGIL_RETURN_IF_ERROR(CheckTargets(*groups, has_relabel));
      }
    }
  }
  return Status::OK();
}

// promtool's checkConfig: returns the rule files found.
Result<std::vector<std::string>> CheckConfigFile(const std::string& file, bool agent,
                                                 bool syntax_only) {
  std::printf("Checking %s\n", file.c_str());
  auto loaded = config::LoadFile(file, agent);
  if (!loaded) return loaded.error();  // already names the file (and line)
  const config::Config& cfg = *loaded;
  std::vector<std::string> rule_files;
  if (!syntax_only) {
    for (const auto& pattern : cfg.rule_files) {
      std::vector<std::string> found = Glob(pattern);
      if (pattern.find('*') == std::string::npos) {
        if (found.empty()) {
          return Status::InvalidArgument(Quote(pattern) + " does not point to an existing file");
        }
      }
      rule_files.insert(rule_files.end(), found.begin(), found.end());
    }
  }
  std::vector<config::ScrapeConfig> scrapes = cfg.scrape_configs;
  if (!syntax_only) {
    auto all = cfg.GetScrapeConfigs();
    if (!all) {
      return Status::InvalidArgument("error loading scrape configs: " +
                                     std::string(all.error().message()));
    }
    scrapes = std::move(all).value();
  }
  for (const auto& s : scrapes) {
    if (!syntax_only && s.http.authorization) {
      const std::string& f = s.http.authorization->credentials_file;
      if (std::string e = StatError(f); !e.empty()) {
        return Status::InvalidArgument(
            "error checking authorization credentials or bearer token file " + Quote(f) + ": " + e);
      }
    }
    VIGIL_RETURN_IF_ERROR(CheckTLS(s.http.tls_config, syntax_only));
    VIGIL_RETURN_IF_ERROR(CheckTargets(s.sd.static_configs, !s.relabel_configs.empty()));
    if (!syntax_only) {
      VIGIL_RETURN_IF_ERROR(
          CheckFileSD(s.sd, !s.relabel_configs.empty(), "scrape job " + Quote(s.job_name)));
    }
  }
  for (const auto& am : cfg.alerting.alertmanagers) {
    VIGIL_RETURN_IF_ERROR(CheckTargets(am.sd.static_configs, !am.relabel_configs.empty()));
    if (!syntax_only) {
      VIGIL_RETURN_IF_ERROR(CheckFileSD(am.sd, !am.relabel_configs.empty(), "alertmanager config"));
    }
  }
  // TODO: parse the rule files too (promtool's checkRules) once the rules loader exists.
  return rule_files;
}

}  // namespace

int RunToolCheckConfig(int argc, char** argv) {
  CLI::App app{"Check if the config files are valid or not.", "vigil tool check config"};
  std::vector<std::string> files;
  bool syntax_only = false;
  bool agent = false;
  app.add_option("config-files", files, "The config files to check.")->required();
  app.add_flag("--syntax-only", syntax_only,
               "Only check the config file syntax, ignoring file and content validation "
               "referenced in the config");
  app.add_flag("--agent", agent, "Check config file for Prometheus in Agent mode.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  bool failed = false;
  for (const auto& f : files) {
    auto rules = CheckConfigFile(f, agent, syntax_only);
    if (!rules) {
      std::fflush(stdout);
      std::fprintf(stderr, "  FAILED: %s\n", std::string(rules.error().message()).c_str());
      failed = true;
    } else {
      if (!rules->empty()) std::printf("  SUCCESS: %zu rule files found\n", rules->size());
      std::printf(" SUCCESS: %s is valid prometheus config file syntax\n", f.c_str());
    }
    std::printf("\n");
  }
  return failed ? 1 : 0;
}

}  // namespace vigil::cmd
