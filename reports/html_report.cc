// Writing report.html; see html_report.h.
//
// The page is assembled as text in sections, each a function below. Every value that did not
// come from this file goes through html_escape (or json_for_script for the data element).
#include "reports/html_report.h"

#include <algorithm>
#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reports/charts.h"
#include "reports/escape.h"
#include "reports/report_assets.h"
#include "reports/timeline.h"

namespace tracksim::reports {
namespace {

using Out = std::ostringstream;

std::string esc(std::string_view text) {
  return html_escape(text);
}

std::string percent(double share) {
  return format_fixed(100.0 * share, 1) + "%";
}

std::string ms_text(double ms) {
  return format_fixed(ms, 1) + " ms";
}

// One colour per error class, by the class's position in model::ErrorClass.
std::string error_colour(model::ErrorClass c) {
  static constexpr std::array<const char*, model::kErrorClassCount> kColours = {
      "#9aa0a6", "#8e24aa", "#d64541", "#e8962a", "#6d4c41", "#c2185b",
      "#5c6bc0", "#00897b", "#7cb342", "#f4511e", "#455a64"};
  return kColours.at(static_cast<std::size_t>(c));
}

void op_link(Out& out, const sim::History& history, std::uint64_t index) {
  const std::string label = index < history.operations().size()
                                ? history.operations()[index].operation_id
                                : "#" + std::to_string(index);
  out << "<a class=\"op-link\" href=\"#op-" << index << "\" data-op=\"" << index << "\">"
      << esc(label) << "</a> ";
}

void commit_link(Out& out, std::uint64_t index) {
  out << "<a class=\"commit-link\" href=\"#commit-" << index << "\" data-commit=\"" << index
      << "\">commit " << index << "</a> ";
}

void write_head(Out& out, const RunSummary& s) {
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      << "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
      << "<title>tracksim: " << esc(s.scenario_name) << " seed " << s.seed << " ("
      << (s.passed() ? "pass" : "FAIL") << ")</title>\n<style>" << kReportStyle
      << "</style>\n</head>\n<body data-ok=\"0\">\n";
}

void write_header(Out& out, const RunSummary& s, const std::string& rerun) {
  std::size_t holding = 0;
  for (const auto& p : s.properties)
    holding += p.holds ? 1 : 0;
  out << "<header>\n<h1>tracksim report: " << esc(s.scenario_name) << "</h1>\n";
  out << "<p><span class=\"verdict " << (s.passed() ? "pass\">PASS" : "fail\">FAIL") << "</span> "
      << holding << " of " << s.properties.size() << " properties hold</p>\n";
  if (!s.scenario_description.empty()) {
    out << "<p>" << esc(s.scenario_description) << "</p>\n";
  }
  out << "<p class=\"meta\">scenario <code>" << esc(s.scenario_path) << "</code> · seed " << s.seed
      << " · implementation " << esc(s.implementation) << " · schedule " << esc(s.schedule)
      << " · digest <code>" << esc(s.digest) << "</code> · " << s.trace_lines
      << " trace lines · kernel " << esc(s.kernel_outcome);
  if (!s.kernel_detail.empty()) out << " (" << esc(s.kernel_detail) << ")";
  out << "</p>\n";
  if (!rerun.empty()) out << "<p class=\"meta\">rerun: <code>" << esc(rerun) << "</code></p>\n";
  out << "<nav class=\"meta\"><a href=\"#figures\">figures</a> · <a href=\"#properties\">"
         "properties</a> · <a href=\"#timeline\">timeline</a> · <a href=\"#latency\">latency</a>"
         " · <a href=\"#retries\">retries</a> · <a href=\"#errors\">errors over time</a> · "
         "<a href=\"#faults\">faults</a> · <a href=\"#probes\">probes</a> · "
         "<a href=\"#settings\">settings</a></nav>\n</header>\n";
}

void figure_row(Out& out, std::string_view name, const std::string& value) {
  out << "<tr><th>" << esc(name) << "</th><td class=\"num\">" << value << "</td></tr>\n";
}

void write_figures(Out& out, const RunSummary& s) {
  out << "<section id=\"figures\">\n<h2>Figures</h2>\n<div class=\"figures\">\n<table>\n";
  figure_row(out, "operations", std::to_string(s.operations));
  figure_row(out, "succeeded", std::to_string(s.succeeded) + " (" + percent(s.success_rate) + ")");
  figure_row(out, "failed", std::to_string(s.failed));
  figure_row(out, "unknown (no answer)", std::to_string(s.unknown));
  figure_row(out, "failed or unknown", percent(s.failure_rate));
  if (s.pending > 0) figure_row(out, "still pending at the end", std::to_string(s.pending));
  figure_row(
      out, "ParallelSaveErrors",
      std::to_string(s.parallel_save_errors) + " (" + percent(s.parallel_save_error_rate) + ")");
  out << "</table>\n<table>\n";
  figure_row(out, "latency mean", ms_text(s.latency.mean_ms));
  figure_row(out, "latency p50 / p99",
             ms_text(s.latency.p50_ms) + " / " + ms_text(s.latency.p99_ms));
  figure_row(out, "latency max", ms_text(s.latency.max_ms));
  figure_row(out, "operations per virtual s", format_fixed(s.operations_per_virtual_s, 1));
  figure_row(out, "virtual s spanned", format_fixed(s.virtual_s, 3));
  figure_row(out, "client resends", std::to_string(s.client_resends));
  figure_row(out, "commits (fields changed)", std::to_string(s.commits));
  out << "</table>\n<table>\n";
  for (const auto& [name, count] : s.failed_by_class) {
    figure_row(out, "failed or unknown: " + name, std::to_string(count));
  }
  figure_row(out, "faults injected", std::to_string(s.faults));
  figure_row(out, "probes reached",
             std::to_string(s.probes_reached().size()) + " of " + std::to_string(s.probes.size()));
  out << "</table>\n</div>\n</section>\n";
}

void write_properties(Out& out, const RunSummary& s, const sim::History& history) {
  std::map<std::string, std::string> descriptions;
  for (const properties::PropertyInfo& info : properties::property_catalogue())
    descriptions[info.name] = info.description;

  out << "<section id=\"properties\">\n<h2>Properties</h2>\n<table>\n"
      << "<tr><th>property</th><th>verdict</th><th class=\"num\">violations</th>"
      << "<th>witnesses (click an operation or commit to find it on the timeline)</th></tr>\n";
  for (const properties::PropertyResult& p : s.properties) {
    out << "<tr id=\"property-" << esc(p.name) << "\" class=\"" << (p.holds ? "pass" : "fail")
        << "\"><td><strong>" << esc(p.name) << "</strong><br><span class=\"meta\">"
        << esc(descriptions[p.name]) << "</span></td><td class=\"verdict-cell\">"
        << (p.holds ? "holds" : "FAILS") << "</td><td class=\"num\">" << p.violations
        << "</td><td>";
    if (p.witnesses.empty()) {
      out << "<span class=\"none\">—</span>";
    } else {
      out << "<ul class=\"witnesses\">";
      for (const properties::Witness& w : p.witnesses) {
        out << "<li>" << esc(w.explanation) << "<br>";
        for (std::uint64_t i : w.operations)
          op_link(out, history, i);
        for (std::uint64_t i : w.commits)
          commit_link(out, i);
        out << "</li>";
      }
      if (p.violations > p.witnesses.size()) {
        out << "<li class=\"none\">and " << (p.violations - p.witnesses.size())
            << " more not listed</li>";
      }
      out << "</ul>";
    }
    out << "</td></tr>\n";
  }
  out << "</table>\n</section>\n";
}

void write_timeline(Out& out) {
  out << R"html(<section id="timeline">
<h2>Timeline</h2>
<div class="controls">
<label>delivery <select id="tl-delivery"><option value="-1">all deliveries</option></select></label>
<label>filter <input id="tl-filter" type="search" placeholder="delivery id contains"></label>
<label><input id="tl-violations" type="checkbox"> only deliveries with violations</label>
<button id="tl-prev" type="button">◀ page</button><button id="tl-next" type="button">page ▶</button>
<label>from <input id="tl-from" type="number" step="any"> ms</label>
<label>to <input id="tl-to" type="number" step="any"> ms</label>
<button id="tl-zoom-in" type="button">zoom in</button>
<button id="tl-zoom-out" type="button">zoom out</button>
<button id="tl-reset" type="button">whole run</button>
<span id="tl-status"></span>
</div>
<div class="legend">
<span><span class="swatch" style="background:var(--ok)"></span>ok</span>
<span><span class="swatch" style="background:var(--fail)"></span>failed</span>
<span><span class="swatch" style="background:var(--pse)"></span>failed: ParallelSaveError</span>
<span><span class="swatch" style="background:var(--unknown)"></span>unknown (no answer)</span>
<span><span class="swatch" style="background:var(--pending)"></span>pending at the end</span>
<span><span class="swatch" style="background:var(--lease)"></span>operationLock lease</span>
<span><span class="swatch" style="border:1px dashed var(--fail)"></span>lease left to expire</span>
<span><span class="swatch" style="background:#f4b400"></span>fault / partition</span>
<span>│ status transition</span>
<span>◆ document inserted / deleted by TTL (red)</span>
<span>black outline: named by a failing property</span>
</div>
<p class="meta">Drag across the timeline to zoom in; click an operation for its details.</p>
<div id="tl-view"><p id="tl-noscript">The timeline needs JavaScript; every other section of this
report is plain HTML.</p></div>
<div id="tl-detail"></div>
</section>
)html";
}

std::vector<Marker> percentile_markers(const LatencyStats& stats) {
  return {{"p50", stats.p50_ms}, {"p95", stats.p95_ms}, {"p99", stats.p99_ms}};
}

// The histogram's axis ends near p95 when the tail is long, so the bulk stays readable.
double histogram_cap(const LatencyStats& stats) {
  return stats.max_ms > 3 * stats.p95_ms ? stats.p95_ms * 1.5 : 0;
}

void write_latency(Out& out, const RunSummary& s, const sim::History& history) {
  std::map<std::string, std::vector<double>> samples;
  std::vector<double> all;
  for (const sim::OperationRecord& op : history.operations()) {
    if (op.outcome == sim::OpOutcome::kPending) continue;
    const double latency = to_millis(op.complete_ns - op.invoke_ns);
    samples[std::string(model::to_string(op.kind))].push_back(latency);
    all.push_back(latency);
  }

  out << "<section id=\"latency\">\n<h2>Latency per operation kind</h2>\n"
      << "<p class=\"meta\">From the first request to the final answer, resends included, in "
         "virtual milliseconds; operations still pending at the end are left out.</p>\n"
      << "<table>\n<tr><th>kind</th><th class=\"num\">count</th><th class=\"num\">mean</th>"
         "<th class=\"num\">p50</th><th class=\"num\">p90</th><th class=\"num\">p95</th>"
         "<th class=\"num\">p99</th><th class=\"num\">max</th></tr>\n";
  auto row = [&](const std::string& name, const LatencyStats& l) {
    out << "<tr><th>" << esc(name) << "</th><td class=\"num\">" << l.count << "</td>";
    for (double v : {l.mean_ms, l.p50_ms, l.p90_ms, l.p95_ms, l.p99_ms, l.max_ms}) {
      out << "<td class=\"num\">" << format_fixed(v, 1) << "</td>";
    }
    out << "</tr>\n";
  };
  for (const auto& [kind, stats] : s.latency_by_kind)
    row(kind, stats);
  row("all", s.latency);
  out << "</table>\n<div class=\"charts\">\n";
  for (const auto& [kind, values] : samples) {
    const auto it = s.latency_by_kind.find(kind);
    const LatencyStats stats = it == s.latency_by_kind.end() ? LatencyStats{} : it->second;
    out << "<figure><figcaption>" << esc(kind) << " (" << values.size()
        << " operations)</figcaption>"
        << svg_histogram(make_histogram(values, 30, histogram_cap(stats)),
                         percentile_markers(stats), "virtual ms", "latency of " + kind)
        << "</figure>\n";
  }
  if (samples.size() > 1) {
    out << "<figure><figcaption>all kinds (" << all.size() << " operations)</figcaption>"
        << svg_histogram(make_histogram(all, 30, histogram_cap(s.latency)),
                         percentile_markers(s.latency), "virtual ms", "latency of all operations")
        << "</figure>\n";
  }
  if (samples.empty()) out << "<p class=\"none\">No operation completed.</p>\n";
  out << "</div>\n</section>\n";
}

void write_retries(Out& out, const sim::History& history) {
  // Per kind: how many operations needed 1, 2, 3 and 4 or more requests from the client, and how
  // many store attempts the server reported for the answer the client got.
  struct Row {
    std::array<std::uint64_t, 4> client{};
    std::array<std::uint64_t, 4> server{};
    std::uint64_t resends = 0;
    std::uint64_t operations = 0;
    std::uint64_t server_requests = 0;
  };
  // Requests that reached the server, per operation id: resends and network duplicates count.
  std::map<std::string, std::uint64_t> reached;
  for (const sim::ServerRequestRecord& request : history.server_requests())
    ++reached[request.operation_id];
  auto reached_count = [&](const std::string& id) {
    const auto it = reached.find(id);
    return it == reached.end() ? std::uint64_t{0} : it->second;
  };
  auto bucket = [](int n) { return static_cast<std::size_t>(std::clamp(n, 1, 4) - 1); };
  std::map<std::string, Row> rows;
  std::vector<const sim::OperationRecord*> most;
  for (const sim::OperationRecord& op : history.operations()) {
    Row& r = rows[std::string(model::to_string(op.kind))];
    ++r.operations;
    if (op.client_attempts > 0) ++r.client[bucket(op.client_attempts)];
    if (op.server_attempts > 0) ++r.server[bucket(op.server_attempts)];
    r.resends += static_cast<std::uint64_t>(std::max(0, op.client_attempts - 1));
    r.server_requests += reached_count(op.operation_id);
    if (op.client_attempts > 1 || op.server_attempts > 1) most.push_back(&op);
  }
  // The ten operations that took the most tries; ties go to the earliest.
  auto tries = [](const sim::OperationRecord* op) {
    return std::max(0, op->client_attempts - 1) + std::max(0, op->server_attempts - 1);
  };
  std::stable_sort(most.begin(), most.end(),
                   [&](const auto* a, const auto* b) { return tries(a) > tries(b); });
  if (most.size() > 10) most.resize(10);

  out << "<section id=\"retries\">\n<h2>Retries per operation</h2>\n"
      << "<p class=\"meta\">Client requests: how often the app sent the operation (resends after "
         "a timeout or a server error). Requests at the server: how many of those, and of the "
         "network's duplicates, the server handled. Store attempts: how many atomic-update "
         "attempts the "
         "server reported in its last answer.</p>\n<table>\n<tr><th>kind</th>"
         "<th class=\"num\">operations</th><th class=\"num\">1 request</th>"
         "<th class=\"num\">2</th><th class=\"num\">3</th><th class=\"num\">4+</th>"
         "<th class=\"num\">resends</th><th class=\"num\">requests at the server</th>"
         "<th class=\"num\">1 store attempt</th>"
         "<th class=\"num\">2</th><th class=\"num\">3</th><th class=\"num\">4+</th></tr>\n";
  for (const auto& [kind, r] : rows) {
    out << "<tr><th>" << esc(kind) << "</th><td class=\"num\">" << r.operations << "</td>";
    for (std::uint64_t n : r.client)
      out << "<td class=\"num\">" << n << "</td>";
    out << "<td class=\"num\">" << r.resends << "</td><td class=\"num\">" << r.server_requests
        << "</td>";
    for (std::uint64_t n : r.server)
      out << "<td class=\"num\">" << n << "</td>";
    out << "</tr>\n";
  }
  out << "</table>\n";
  if (most.empty()) {
    out << "<p class=\"none\">Every operation was answered at its first request and first store "
           "attempt.</p>\n";
  } else {
    out << "<h3>Operations that took the most tries</h3>\n<table>\n<tr><th>operation</th>"
           "<th>delivery</th><th>kind</th><th class=\"num\">client requests</th>"
           "<th class=\"num\">requests at the server</th>"
           "<th class=\"num\">store attempts</th><th>outcome</th></tr>\n";
    for (const sim::OperationRecord* op : most) {
      out << "<tr><td>";
      op_link(out, history, op->index);
      out << "</td><td>" << esc(op->delivery_id) << "</td><td>" << esc(model::to_string(op->kind))
          << "</td><td class=\"num\">" << op->client_attempts << "</td><td class=\"num\">"
          << reached_count(op->operation_id) << "</td><td class=\"num\">" << op->server_attempts
          << "</td><td>" << esc(sim::to_string(op->outcome));
      if (op->error_class != model::ErrorClass::kNone) {
        out << " (" << esc(model::to_string(op->error_class)) << ")";
      }
      out << "</td></tr>\n";
    }
    out << "</table>\n";
  }
  out << "</section>\n";
}

// Counts per error class in `kBins` equal bins of [0, end_ns), as chart series in class order.
class ErrorBins {
 public:
  static constexpr int kBins = 40;
  explicit ErrorBins(Nanos end_ns) : bin_ms_(to_millis(end_ns) / kBins) {}

  void add(model::ErrorClass error_class, Nanos at_ns) {
    Series& series = by_class_[error_class];
    if (series.counts.empty()) {
      series.name = std::string(model::to_string(error_class));
      series.colour = error_colour(error_class);
      series.counts.assign(kBins, 0);
    }
    const auto bin = static_cast<std::size_t>(to_millis(at_ns) / bin_ms_);
    ++series.counts[std::min<std::size_t>(bin, kBins - 1)];
  }

  // The legend and the chart, or a line saying there was nothing to draw.
  void write(Out& out, const std::string& title, const std::string& none) const {
    if (by_class_.empty()) {
      out << "<p class=\"none\">" << esc(none) << "</p>\n";
      return;
    }
    std::vector<Series> series;
    out << "<div class=\"legend\">";
    for (const auto& [error_class, s] : by_class_) {
      std::uint64_t total = 0;
      for (std::uint64_t n : s.counts)
        total += n;
      out << "<span><span class=\"swatch\" style=\"background:" << s.colour << "\"></span>"
          << esc(s.name) << " " << total << "</span>";
      series.push_back(s);
    }
    out << "</div>\n" << svg_stacked_bins(series, bin_ms_, title) << "\n";
  }

 private:
  double bin_ms_;
  std::map<model::ErrorClass, Series> by_class_;
};

void write_errors(Out& out, const sim::History& history) {
  const Nanos end_ns = history_end(history);
  ErrorBins final_answers(end_ns);
  for (const sim::OperationRecord& op : history.operations()) {
    if (op.outcome == sim::OpOutcome::kFail || op.outcome == sim::OpOutcome::kUnknown) {
      final_answers.add(op.error_class, op.complete_ns);
    }
  }
  ErrorBins server_answers(end_ns);
  for (const sim::ServerRequestRecord& request : history.server_requests()) {
    if (request.error_class != model::ErrorClass::kNone) {
      server_answers.add(request.error_class, request.end_ns);
    }
  }

  out << "<section id=\"errors\">\n<h2>Error classes over time</h2>\n"
      << "<h3>What the clients were finally told</h3>\n<p class=\"meta\">Operations whose final "
         "answer was a failure, or no answer, by error class and the virtual time the client "
         "gave up or was told.</p>\n";
  final_answers.write(out, "failed operations by error class over time", "No operation failed.");
  out << "<h3>Every error the server answered</h3>\n<p class=\"meta\">Each request the server "
         "handled and answered with an error, resends and duplicates included: an error here may "
         "have been followed by a successful resend.</p>\n";
  server_answers.write(out, "server error answers by class over time",
                       "The server answered no request with an error.");
  out << "</section>\n";
}

void write_faults_and_probes(Out& out, const RunSummary& s) {
  constexpr std::size_t kListed = 50;
  out << "<section id=\"faults\">\n<h2>Faults injected</h2>\n";
  if (s.faults_injected.empty()) {
    out << "<p class=\"none\">No fault was injected.</p>\n";
  } else {
    // By kind first: a failover window can reject hundreds of requests, each recorded.
    std::map<std::string, std::pair<Nanos, Nanos>> span;
    for (const sim::FaultRecord& f : s.faults_injected) {
      auto [it, fresh] = span.try_emplace(f.kind, f.time_ns, f.time_ns + f.duration_ns);
      if (!fresh) {
        it->second.first = std::min(it->second.first, f.time_ns);
        it->second.second = std::max(it->second.second, f.time_ns + f.duration_ns);
      }
    }
    out << "<table>\n<tr><th>kind</th><th class=\"num\">count</th>"
           "<th class=\"num\">first (virtual s)</th><th class=\"num\">last ends</th></tr>\n";
    for (const auto& [kind, count] : s.faults_by_kind) {
      out << "<tr><td>" << esc(kind) << "</td><td class=\"num\">" << count
          << "</td><td class=\"num\">" << format_fixed(to_seconds(span[kind].first), 3)
          << "</td><td class=\"num\">" << format_fixed(to_seconds(span[kind].second), 3)
          << "</td></tr>\n";
    }
    out << "</table>\n<details><summary>each fault";
    if (s.faults_injected.size() > kListed) out << " (the first " << kListed << ")";
    out << "</summary>\n<table>\n<tr><th>kind</th><th>target</th>"
           "<th class=\"num\">from (virtual s)</th><th class=\"num\">to</th></tr>\n";
    for (std::size_t i = 0; i < s.faults_injected.size() && i < kListed; ++i) {
      const sim::FaultRecord& f = s.faults_injected[i];
      out << "<tr><td>" << esc(f.kind) << "</td><td>" << esc(f.target) << "</td><td class=\"num\">"
          << format_fixed(to_seconds(f.time_ns), 3) << "</td><td class=\"num\">"
          << format_fixed(to_seconds(f.time_ns + f.duration_ns), 3) << "</td></tr>\n";
    }
    out << "</table>\n</details>\n";
  }
  out << "</section>\n<section id=\"probes\">\n<h2>Probes</h2>\n"
      << "<p class=\"meta\">Rare paths the model counts; a probe at 0 was never reached in this "
         "run.</p>\n<table>\n<tr><th>probe</th><th class=\"num\">hits</th></tr>\n";
  for (const auto& [name, count] : s.probes) {
    out << "<tr><td>" << (count > 0 ? "<strong>" : "") << esc(name)
        << (count > 0 ? "</strong>" : "") << "</td><td class=\"num\">" << count << "</td></tr>\n";
  }
  out << "</table>\n</section>\n";
}

void write_settings(Out& out, const RunSummary& s) {
  out << "<section id=\"settings\">\n<h2>Settings</h2>\n<details><summary>the run's effective "
         "settings</summary>\n<pre>"
      << esc(s.options.dump(2, ' ', false, nlohmann::json::error_handler_t::replace))
      << "</pre>\n</details>\n</section>\n";
}

}  // namespace

std::string html_report(const sim::WorldResult& world, const RunSummary& summary,
                        const std::string& rerun) {
  const sim::History& history = world.history;
  Out out;
  write_head(out, summary);
  write_header(out, summary, rerun);
  write_figures(out, summary);
  write_properties(out, summary, history);
  write_timeline(out);
  write_latency(out, summary, history);
  write_retries(out, history);
  write_errors(out, history);
  write_faults_and_probes(out, summary);
  write_settings(out, summary);
  out << "<script type=\"application/json\" id=\"tracksim-data\">"
      << json_for_script(timeline_data(history, summary.properties)) << "</script>\n"
      << "<script>" << kReportScript << "</script>\n</body>\n</html>\n";
  return out.str();
}

}  // namespace tracksim::reports
