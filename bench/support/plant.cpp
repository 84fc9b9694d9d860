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

std::optional<std::vector<PlantSpec>> parse_plants(const std::string& text, std::string* why) {
  std::vector<PlantSpec> out;
  for (std::size_t start = 0;;) {
    const auto end = text.find(';', start);
    auto spec = parse_plant(text.substr(start, end - start), why);
    if (!spec) return std::nullopt;
    out.push_back(std::move(*spec));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

namespace {

const std::vector<PlantSpec>& environment_plants() {
  static const std::vector<PlantSpec> specs = [] {
    const char* text = std::getenv("PTBENCH_PLANT");
    std::string why;
    auto parsed = text != nullptr && *text != '\0' ? parse_plants(text, &why) : std::nullopt;
    return parsed.value_or(std::vector<PlantSpec>{});
  }();
  return specs;
}

}  // namespace

bool plant_environment_ok(std::string* why) {
  const char* text = std::getenv("PTBENCH_PLANT");
  if (text == nullptr || *text == '\0') return true;
  return parse_plants(text, why).has_value();
}

std::int64_t planted_ns(const std::vector<PlantSpec>& specs, const std::string& name) {
  std::int64_t ns = 0;
  for (const auto& spec : specs) {
    if (std::regex_search(name, std::regex(spec.pattern))) ns += spec.ns;
  }
  return ns;
}

std::int64_t planted_ns(const std::string& name) {
  return planted_ns(environment_plants(), name);
}

}  // namespace ptbench::bench
