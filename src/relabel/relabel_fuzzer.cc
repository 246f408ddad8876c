// Fuzzes regex compilation, Go-style template expansion and every relabel action on
// arbitrary bytes. Input: regex '\n' template '\n' label value. Must never crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "relabel/relabel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vigil::relabel::Action;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t a = in.find('\n');
  if (a == std::string_view::npos) return 0;
  size_t b = in.find('\n', a + 1);
  if (b == std::string_view::npos) return 0;
  std::string_view pattern = in.substr(0, a);
  std::string_view tmpl = in.substr(a + 1, b - a - 1);
  std::string_view value = in.substr(b + 1);
  if (pattern.size() > 256) return 0;  // RE2 compile time grows with the pattern
  auto re = vigil::relabel::Regexp::Compile(pattern);
  if (!re) return 0;
  vigil::Labels labels{{"src", value}, {std::string(value), "v"}, {"__address__", value}};
  static constexpr Action kActions[] = {
      Action::kReplace,   Action::kKeep,      Action::kDrop,      Action::kKeepEqual,
      Action::kDropEqual, Action::kHashMod,   Action::kLabelMap,  Action::kLabelDrop,
      Action::kLabelKeep, Action::kLowercase, Action::kUppercase,
  };
  for (Action act : kActions) {
    vigil::relabel::Config c;
    c.action = act;
    c.regex = *re;
    c.source_labels = {"src", "missing"};
    c.target_label = std::string(tmpl);
    c.replacement = std::string(tmpl);
    c.modulus = size + 1;
    c.Validate().IgnoreError();  // processing must be safe even for invalid rules
    vigil::relabel::Process(labels, std::span(&c, 1));
  }
  return 0;
}
