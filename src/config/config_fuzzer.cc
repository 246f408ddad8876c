// Feeds arbitrary bytes to the prometheus.yml loader: it must return a Status, never crash,
// hang or exhaust memory. ToYAML() of whatever loads must load again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  vigil::config::LoadOptions opts;
  opts.file_name = "fuzz.yml";
  opts.env = [](std::string_view) { return std::string("x"); };
  auto cfg = vigil::config::Load(in, opts);
  if (!cfg) return 0;
  std::string again = cfg->ToYAML();
  auto reloaded = vigil::config::Load(again, opts);
  if (!reloaded) {
    std::fprintf(stderr, "ToYAML output does not load: %s\n%s\n",
                 reloaded.error().ToString().c_str(), again.c_str());
    std::abort();
  }
  return 0;
}
