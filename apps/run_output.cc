// The block of lines a seed's run prints; see run_output.h.
#include "apps/run_output.h"

#include <cstdio>

namespace tracksim::cli {
namespace {

std::string format_ms(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", ms);
  return text;
}

}  // namespace

void print_summary(const reports::RunSummary& s) {
  std::printf(
      "seed %llu: %llu operations, %llu succeeded, %llu failed, %llu unknown",
      static_cast<unsigned long long>(s.seed), static_cast<unsigned long long>(s.operations),
      static_cast<unsigned long long>(s.succeeded), static_cast<unsigned long long>(s.failed),
      static_cast<unsigned long long>(s.unknown));
  if (s.pending > 0)
    std::printf(", %llu still pending", static_cast<unsigned long long>(s.pending));
  std::printf("\n");
  if (!s.failed_by_class.empty()) {
    std::printf("  failed or unknown by class:");
    for (const auto& [name, count] : s.failed_by_class) {
      std::printf(" %s %llu", name.c_str(), static_cast<unsigned long long>(count));
    }
    std::printf("\n");
  }
  std::printf("  ParallelSaveErrors %llu, client resends %llu, commits %llu\n",
              static_cast<unsigned long long>(s.parallel_save_errors),
              static_cast<unsigned long long>(s.client_resends),
              static_cast<unsigned long long>(s.commits));
  std::printf("  latency (virtual ms): mean %s, p50 %s, p99 %s; %.1f operations per virtual s\n",
              format_ms(s.latency.mean_ms).c_str(), format_ms(s.latency.p50_ms).c_str(),
              format_ms(s.latency.p99_ms).c_str(), s.operations_per_virtual_s);
  std::size_t holding = 0;
  for (const auto& p : s.properties)
    holding += p.holds ? 1 : 0;
  std::printf("  properties: %zu of %zu hold\n", holding, s.properties.size());
  for (const auto& p : s.properties) {
    if (p.holds) continue;
    std::printf("    FAIL %s: %llu violation(s)\n", p.name.c_str(),
                static_cast<unsigned long long>(p.violations));
    for (std::size_t i = 0; i < p.witnesses.size() && i < 3; ++i) {
      std::printf("      - %s\n", p.witnesses[i].explanation.c_str());
    }
  }
  std::printf(
      "  digest %s (%llu trace lines; operations spanned %.2f virtual s; kernel %s; "
      "%.2f wall s)\n",
      s.digest.c_str(), static_cast<unsigned long long>(s.trace_lines), s.virtual_s,
      s.kernel_outcome.c_str(), s.wall_s);
}

}  // namespace tracksim::cli
