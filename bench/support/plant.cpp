#include "bench/support/plant.hpp"

#include <charconv>
#include <cstdlib>
#include <regex>

namespace ptbench::bench {

std::optional<PlantSpec> parse_plant(const std::string& text, std::string* why) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    *why = "PTBENCH_PLANT wants REGEX:NS, got '" + text + "'";
    return std::nullopt;
  }
  PlantSpec spec{text.substr(0, colon), 0};
  const std::string number = text.substr(colon + 1);
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), spec.ns);
  if (ec != std::errc() || end != number.data() + number.size() || spec.ns <= 0) {
    *why = "PTBENCH_PLANT: '" + number + "' is not a whole number of nanoseconds above 0";
    return std::nullopt;
  }
  try {
    std::regex check(spec.pattern);
  } catch (const std::regex_error&) {
    *why = "PTBENCH_PLANT: '" + spec.pattern + "' is not a regular expression";
    return std::nullopt;
  }
  return spec;
}

namespace {

const std::optional<PlantSpec>& environment_plant() {
  static const std::optional<PlantSpec> spec = [] {
    const char* text = std::getenv("PTBENCH_PLANT");
    std::string why;
    return text != nullptr && *text != '\0' ? parse_plant(text, &why) : std::nullopt;
  }();
  return spec;
}

}  // namespace

bool plant_environment_ok(std::string* why) {
  const char* text = std::getenv("PTBENCH_PLANT");
  if (text == nullptr || *text == '\0') return true;
  return parse_plant(text, why).has_value();
}

std::int64_t planted_ns(const std::string& name) {
  const auto& spec = environment_plant();
  if (!spec) return 0;
  return std::regex_search(name, std::regex(spec->pattern)) ? spec->ns : 0;
}

}  // namespace ptbench::bench
