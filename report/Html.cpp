// SPDX-License-Identifier: Apache-2.0
#include "report/Html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>

#include "config/ConfigNode.h"
#include "report/Format.h"

namespace llmvp::testbench {

namespace json = boost::json;

namespace {
const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
const char* color(std::size_t i) { return kPalette[i % (sizeof kPalette / sizeof kPalette[0])]; }

std::string coord(double v) { return fixedText(v, 1); }

double toDouble(const json::value& v) { return v.is_double() ? v.as_double() : v.to_number<double>(); }

const json::object& obj(const json::value& v) { return v.as_object(); }
const json::object& results(const HtmlRun& r) { return r.json.at("results").as_object(); }
double field(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_number() ? toDouble(*v) : 0.0;
}

/// A plot area with linear or logarithmic axes, drawn as one <svg>.
class Chart {
public:
  Chart(std::string title, std::string xLabel, std::string yLabel, bool logX = false, bool logY = false)
      : title_(std::move(title)), xLabel_(std::move(xLabel)), yLabel_(std::move(yLabel)), logX_(logX), logY_(logY) {}

  void range(double x0, double x1, double y0, double y1) {
    if (!(x1 > x0)) x1 = x0 + 1;
    if (!(y1 > y0)) y1 = y0 + 1;
    x0_ = tx(x0, logX_);
    x1_ = tx(x1, logX_);
    y0_ = tx(y0, logY_);
    y1_ = tx(y1, logY_);
  }
  [[nodiscard]] double px(double v) const { return kLeft + (tx(v, logX_) - x0_) / (x1_ - x0_) * kPlotW; }
  [[nodiscard]] double py(double v) const { return kTop + kPlotH - (tx(v, logY_) - y0_) / (y1_ - y0_) * kPlotH; }

  void line(const std::vector<std::pair<double, double>>& pts, const char* stroke, const std::string& cls,
            bool dashed = false) {
    if (pts.empty()) return;
    body_ << "<polyline class=\"" << cls << "\" fill=\"none\" stroke=\"" << stroke << "\" stroke-width=\"1.5\""
          << (dashed ? " stroke-dasharray=\"5,3\"" : "") << " points=\"";
    for (const auto& [x, y] : pts) body_ << coord(px(x)) << ',' << coord(py(y)) << ' ';
    body_ << "\"/>\n";
  }
  void dot(double x, double y, const char* fill, const std::string& tip) {
    body_ << "<circle class=\"point\" cx=\"" << coord(px(x)) << "\" cy=\"" << coord(py(y)) << "\" r=\"4\" fill=\""
          << fill << "\"><title>" << htmlEscape(tip) << "</title></circle>\n";
  }
  /// A rectangle in pixel space (bars are laid out by the caller).
  void rect(double x, double y, double w, double h, const char* fill, const std::string& tip) {
    body_ << "<rect class=\"bar\" x=\"" << coord(x) << "\" y=\"" << coord(y) << "\" width=\"" << coord(std::max(w, 0.0))
          << "\" height=\"" << coord(std::max(h, 0.0)) << "\" fill=\"" << fill << "\"><title>" << htmlEscape(tip)
          << "</title></rect>\n";
  }
  void text(double x, double y, const std::string& t, const char* anchor = "start", int size = 11) {
    body_ << "<text x=\"" << coord(x) << "\" y=\"" << coord(y) << "\" font-size=\"" << size << "\" text-anchor=\""
          << anchor << "\">" << htmlEscape(t) << "</text>\n";
  }
  void legend(const std::vector<std::pair<std::string, const char*>>& items) { legend_ = items; }
  void hideYTicks() { yTicks_ = false; }

  [[nodiscard]] std::string svg() const {
    std::ostringstream s;
    const int height = kTop + kPlotH + kBottom + 16 * static_cast<int>((legend_.size() + 2) / 3);
    s << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" << kWidth << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << kWidth << ' ' << height << "\" font-family=\"sans-serif\">\n";
    s << "<rect x=\"0\" y=\"0\" width=\"" << kWidth << "\" height=\"" << height << "\" fill=\"#ffffff\"/>\n";
    s << "<text x=\"" << kWidth / 2 << "\" y=\"18\" font-size=\"14\" text-anchor=\"middle\" font-weight=\"bold\">"
      << htmlEscape(title_) << "</text>\n";
    // Grid and ticks.
    s << "<g class=\"axes\" stroke=\"#cccccc\" font-size=\"10\">\n";
    for (double t : yTicks_ ? ticks(y0_, y1_, logY_) : std::vector<double>{}) {
      const double y = kTop + kPlotH - (t - y0_) / (y1_ - y0_) * kPlotH;
      s << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + kPlotW << "\" y1=\"" << coord(y) << "\" y2=\"" << coord(y)
        << "\"/><text stroke=\"none\" x=\"" << kLeft - 4 << "\" y=\"" << coord(y + 3) << "\" text-anchor=\"end\">"
        << significantText(logY_ ? std::pow(10.0, t) : t, 3) << "</text>\n";
    }
    {
      for (double t : ticks(x0_, x1_, logX_)) {
        const double x = kLeft + (t - x0_) / (x1_ - x0_) * kPlotW;
        s << "<line x1=\"" << coord(x) << "\" x2=\"" << coord(x) << "\" y1=\"" << kTop << "\" y2=\"" << kTop + kPlotH
          << "\"/><text stroke=\"none\" x=\"" << coord(x) << "\" y=\"" << kTop + kPlotH + 14
          << "\" text-anchor=\"middle\">" << significantText(logX_ ? std::pow(10.0, t) : t, 3) << "</text>\n";
      }
    }
    s << "</g>\n";
    s << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kPlotW << "\" height=\"" << kPlotH
      << "\" fill=\"none\" stroke=\"#333333\"/>\n";
    s << "<g class=\"data\">\n" << body_.str() << "</g>\n";
    s << "<text x=\"" << kLeft + kPlotW / 2 << "\" y=\"" << kTop + kPlotH + 32
      << "\" font-size=\"11\" text-anchor=\"middle\">" << htmlEscape(xLabel_) << "</text>\n";
    s << "<text transform=\"translate(14," << kTop + kPlotH / 2
      << ") rotate(-90)\" font-size=\"11\" text-anchor=\"middle\">" << htmlEscape(yLabel_) << "</text>\n";
    for (std::size_t i = 0; i < legend_.size(); ++i) {
      const int x = kLeft + static_cast<int>(i % 3) * (kPlotW / 3);
      const int y = kTop + kPlotH + 48 + 16 * static_cast<int>(i / 3);
      s << "<rect x=\"" << x << "\" y=\"" << y - 9 << "\" width=\"10\" height=\"10\" fill=\"" << legend_[i].second
        << "\"/><text x=\"" << x + 14 << "\" y=\"" << y << "\" font-size=\"10\">" << htmlEscape(legend_[i].first)
        << "</text>\n";
    }
    s << "</svg>\n";
    return s.str();
  }

  static constexpr int kWidth = 640, kLeft = 70, kTop = 30, kPlotW = 550, kPlotH = 260, kBottom = 40;

private:
  static double tx(double v, bool log) { return log ? std::log10(std::max(v, 1e-300)) : v; }
  static std::vector<double> ticks(double lo, double hi, bool log) {
    std::vector<double> out;
    if (log) {
      for (double t = std::ceil(lo); t <= hi + 1e-9; t += std::max(1.0, std::floor((hi - lo) / 8))) out.push_back(t);
      return out;
    }
    const double span = hi - lo;
    const double raw = span / 5;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double step = raw / mag >= 5 ? 5 * mag : raw / mag >= 2 ? 2 * mag : mag;
    for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push_back(t);
    return out;
  }
  std::string title_, xLabel_, yLabel_;
  bool logX_, logY_;
  double x0_ = 0, x1_ = 1, y0_ = 0, y1_ = 1;
  std::ostringstream body_;
  std::vector<std::pair<std::string, const char*>> legend_;
  bool yTicks_ = true;
};

std::vector<std::pair<std::string, const char*>> runLegend(const std::vector<HtmlRun>& runs) {
  std::vector<std::pair<std::string, const char*>> l;
  for (std::size_t i = 0; i < runs.size(); ++i) l.emplace_back(runs[i].label, color(i));
  return l;
}

std::string tpotChart(const std::vector<HtmlRun>& runs) {
  Chart c("TPOT per token", "generated token (step)", "TPOT (us)");
  double maxY = 0, maxX = 1;
  for (const auto& r : runs) {
    const auto& t = results(r).at("tpot_ns").as_array();
    maxX = std::max(maxX, static_cast<double>(t.size()));
    for (const auto& v : t) maxY = std::max(maxY, toDouble(v) / 1e3);
  }
  c.range(0, std::max(1.0, maxX - 1), 0, maxY * 1.1);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::vector<std::pair<double, double>> pts;
    const auto& t = results(runs[i]).at("tpot_ns").as_array();
    for (std::size_t s = 0; s < t.size(); ++s) pts.emplace_back(static_cast<double>(s), toDouble(t[s]) / 1e3);
    if (pts.size() == 1) pts.emplace_back(pts[0].first + 1, pts[0].second);
    c.line(pts, color(i), "series");
  }
  c.legend(runLegend(runs));
  return c.svg();
}

/// Horizontal stacked bars: one bar per (run, item), segments per part.
std::string stackedBars(const std::string& title, const std::string& unit,
                        const std::vector<std::pair<std::string, std::vector<double>>>& bars,
                        const std::vector<std::string>& parts) {
  Chart c(title, unit, "");
  c.hideYTicks();
  double maxV = 0;
  for (const auto& b : bars) {
    double sum = 0;
    for (double v : b.second) sum += v;
    maxV = std::max(maxV, sum);
  }
  c.range(0, maxV > 0 ? maxV * 1.05 : 1, 0, 1);
  const double slot = static_cast<double>(Chart::kPlotH) / static_cast<double>(std::max<std::size_t>(bars.size(), 1));
  const double h = std::max(2.0, slot * 0.7);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const double y = Chart::kTop + slot * static_cast<double>(i) + (slot - h) / 2;
    double acc = 0;
    for (std::size_t p = 0; p < bars[i].second.size(); ++p) {
      const double v = bars[i].second[p];
      c.rect(c.px(acc), y, c.px(acc + v) - c.px(acc), h, color(p),
             bars[i].first + ": " + parts[p] + " " + significantText(v, 4) + " " + unit);
      acc += v;
    }
    c.text(Chart::kLeft + 4, y + h / 2 + 4, bars[i].first, "start", 10);
  }
  std::vector<std::pair<std::string, const char*>> legend;
  for (std::size_t p = 0; p < parts.size(); ++p) legend.emplace_back(parts[p], color(p));
  c.legend(legend);
  return c.svg();
}

std::string timeChart(const std::vector<HtmlRun>& runs) {
  std::vector<std::pair<std::string, std::vector<double>>> bars;
  for (const auto& r : runs)
    for (const auto& [name, e] : results(r).at("engines").as_object()) {
      const auto& o = obj(e);
      bars.push_back({r.label + " " + std::string(name),
                      {field(o, "busy_ns") / 1e6, field(o, "mem_wait_ns") / 1e6, field(o, "sem_wait_ns") / 1e6,
                       field(o, "idle_ns") / 1e6}});
    }
  return stackedBars("Time per component (decode)", "ms", bars, {"busy", "memory wait", "semaphore wait", "idle"});
}

std::string energyChart(const std::vector<HtmlRun>& runs) {
  std::vector<std::string> parts;
  for (const auto& r : runs)
    for (const auto& kv : results(r).at("energy_j").as_object())
      if (std::find(parts.begin(), parts.end(), std::string(kv.key())) == parts.end()) parts.emplace_back(kv.key());
  std::vector<std::pair<std::string, std::vector<double>>> bars;
  for (const auto& r : runs) {
    const auto& res = results(r);
    const double tokens = std::max(1.0, field(res, "generated_tokens"));
    std::vector<double> v;
    for (const auto& p : parts) {
      const auto* e = res.at("energy_j").as_object().if_contains(p);
      v.push_back(e ? toDouble(*e) / tokens * 1e3 : 0.0);
    }
    bars.emplace_back(r.label, v);
  }
  return stackedBars("Energy per token by component", "mJ/token", bars, parts);
}

/// Main memory of a run for the roofline: "hbm" if present, else the memory with the highest peak.
std::pair<std::string, double> mainMemory(const json::object& res) {
  std::pair<std::string, double> best{"", 0.0};
  for (const auto& [name, m] : res.at("memories").as_object()) {
    const double peak = field(obj(m), "peak_gbps");
    if (name == "hbm") return {"hbm", peak};
    if (peak > best.second) best = {std::string(name), peak};
  }
  return best;
}

std::string rooflineChart(const std::vector<HtmlRun>& runs) {
  Chart c("Roofline of every operator", "operational intensity (FLOP/byte)", "achieved FLOP/s", true, true);
  double xMin = 1e300, xMax = 0, yMin = 1e300, yMax = 0;
  for (const auto& r : runs) {
    const auto& res = results(r);
    yMax = std::max(yMax, field(res, "peak_flops_per_s"));
    if (const auto* ops = res.if_contains("operators"))
      for (const auto& o : ops->as_array()) {
        const double bytes = field(obj(o), "bytes"), flops = field(obj(o), "flops"), t = field(obj(o), "time_ns");
        if (bytes <= 0 || flops <= 0 || t <= 0) continue;
        xMin = std::min(xMin, flops / bytes);
        xMax = std::max(xMax, flops / bytes);
        yMin = std::min(yMin, flops / (t * 1e-9));
        yMax = std::max(yMax, flops / (t * 1e-9));
      }
  }
  if (xMax <= 0) {
    xMin = 0.1;
    xMax = 1000;
    yMin = 1e9;
  }
  xMin = std::min(xMin / 4, 0.1);
  xMax = std::max(xMax * 4, 1e4);
  yMin = std::min(yMin / 4, 1e9);
  c.range(xMin, xMax, yMin, yMax * 3);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& res = results(runs[i]);
    const double peak = field(res, "peak_flops_per_s");
    const double bw = mainMemory(res).second * 1e9;
    if (peak > 0 && bw > 0) {
      const double ridge = peak / bw;
      c.line({{xMin, std::max(bw * xMin, yMin)}, {ridge, peak}, {xMax, peak}}, color(i), "roof", true);
    }
    if (const auto* ops = res.if_contains("operators"))
      for (const auto& o : ops->as_array()) {
        const auto& op = obj(o);
        const double bytes = field(op, "bytes"), flops = field(op, "flops"), t = field(op, "time_ns");
        if (bytes <= 0 || flops <= 0 || t <= 0) continue;
        const std::string name = std::string(op.at("op").as_string());
        c.dot(flops / bytes, flops / (t * 1e-9), color(i),
              runs[i].label + " " + name + ": " + significantText(flops / bytes, 4) + " FLOP/B, " +
                  significantText(flops / (t * 1e-9), 4) + " FLOP/s");
        c.text(c.px(flops / bytes) + 5, c.py(flops / (t * 1e-9)) - 4, name, "start", 9);
      }
  }
  c.legend(runLegend(runs));
  return c.svg();
}

std::string bandwidthChart(const std::vector<HtmlRun>& runs) {
  Chart c("Bandwidth over time per memory", "simulated time (ms)", "GB/s");
  double xMin = 1e300, xMax = 0, yMax = 0;
  struct Series {
    std::string name;
    std::vector<std::pair<double, double>> pts;
  };
  std::vector<Series> all;
  for (const auto& r : runs) {
    const auto* bw = results(r).if_contains("bandwidth");
    if (!bw) continue;
    const auto& end = bw->as_object().at("end_ns").as_array();
    for (const auto& [mem, values] : bw->as_object().at("gbps").as_object()) {
      Series s{r.label + " " + std::string(mem), {}};
      const auto& v = values.as_array();
      double peak = 0;
      for (std::size_t i = 0; i < v.size() && i < end.size(); ++i) {
        s.pts.emplace_back(toDouble(end[i]) / 1e6, toDouble(v[i]));
        peak = std::max(peak, toDouble(v[i]));
      }
      if (peak <= 0) continue; // an idle memory adds only clutter
      for (const auto& p : s.pts) {
        xMin = std::min(xMin, p.first);
        xMax = std::max(xMax, p.first);
        yMax = std::max(yMax, p.second);
      }
      all.push_back(std::move(s));
    }
  }
  if (all.empty()) {
    xMin = 0;
    xMax = 1;
  }
  c.range(xMin, xMax > xMin ? xMax : xMin + 1, 0, yMax > 0 ? yMax * 1.1 : 1);
  std::vector<std::pair<std::string, const char*>> legend;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].pts.size() == 1) all[i].pts.push_back(all[i].pts[0]);
    c.line(all[i].pts, color(i), "series");
    legend.emplace_back(all[i].name, color(i));
  }
  c.legend(legend);
  return c.svg();
}

std::string text(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (!v) return "";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_number()) return significantText(toDouble(*v), 6);
  return json::serialize(*v);
}

void requireKey(const json::object& o, const char* key, json::kind kind, const std::string& where,
                const std::string& path) {
  const auto* v = o.if_contains(key);
  const bool ok = v && (v->kind() == kind || (kind == json::kind::double_ && v->is_number()));
  if (!ok)
    throw ConfigError(where + ": " + path + key + ": missing or not " +
                      (kind == json::kind::array    ? "an array"
                       : kind == json::kind::object ? "an object"
                                                    : "a number") +
                      " (expected a file written by llmvp run --json)");
}
} // namespace

std::string htmlEscape(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    switch (ch) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    default: out += ch;
    }
  }
  return out;
}

void checkRunJson(const json::value& doc, const std::string& where) {
  if (!doc.is_object()) throw ConfigError(where + ": expected a JSON object written by llmvp run --json");
  requireKey(doc.as_object(), "results", json::kind::object, where, "");
  requireKey(doc.as_object(), "config", json::kind::object, where, "");
  const auto& res = doc.as_object().at("results").as_object();
  requireKey(res, "tpot_ns", json::kind::array, where, "results.");
  for (const auto& v : res.at("tpot_ns").as_array())
    if (!v.is_number()) throw ConfigError(where + ": results.tpot_ns: expected numbers");
  requireKey(res, "engines", json::kind::object, where, "results.");
  requireKey(res, "memories", json::kind::object, where, "results.");
  requireKey(res, "energy_j", json::kind::object, where, "results.");
  for (const char* k : {"generated_tokens", "peak_flops_per_s", "tpot_mean_ns", "tokens_per_s", "joules_per_token"})
    requireKey(res, k, json::kind::double_, where, "results.");
  for (const auto& [name, e] : res.at("engines").as_object()) {
    if (!e.is_object()) throw ConfigError(where + ": results.engines." + std::string(name) + ": expected an object");
  }
  for (const auto& [name, m] : res.at("memories").as_object()) {
    if (!m.is_object()) throw ConfigError(where + ": results.memories." + std::string(name) + ": expected an object");
  }
  for (const auto& [name, e] : res.at("energy_j").as_object())
    if (!e.is_number()) throw ConfigError(where + ": results.energy_j." + std::string(name) + ": expected a number");
  if (const auto* ops = res.if_contains("operators")) {
    if (!ops->is_array()) throw ConfigError(where + ": results.operators: expected an array");
    for (const auto& o : ops->as_array())
      if (!o.is_object() || !o.as_object().contains("op") || !o.as_object().at("op").is_string())
        throw ConfigError(where + ": results.operators: each entry needs a string \"op\"");
  }
  if (const auto* bw = res.if_contains("bandwidth")) {
    if (!bw->is_object()) throw ConfigError(where + ": results.bandwidth: expected an object");
    requireKey(bw->as_object(), "end_ns", json::kind::array, where, "results.bandwidth.");
    requireKey(bw->as_object(), "gbps", json::kind::object, where, "results.bandwidth.");
    for (const auto& [name, v] : bw->as_object().at("gbps").as_object())
      if (!v.is_array())
        throw ConfigError(where + ": results.bandwidth.gbps." + std::string(name) + ": expected an array");
  }
}

HtmlRun loadRunJson(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw ConfigError(path + ": cannot read");
  std::stringstream ss;
  ss << f.rdbuf();
  boost::system::error_code ec;
  json::value doc = json::parse(ss.str(), ec);
  if (ec) throw ConfigError(path + ": not valid JSON (" + ec.message() + ")");
  checkRunJson(doc, path);
  return {std::filesystem::path(path).stem().string(), std::move(doc.as_object())};
}

void writeHtmlReport(std::ostream& os, const std::string& title, const std::vector<HtmlRun>& runs,
                     const HtmlTable* table, const std::string& note) {
  os << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" << htmlEscape(title)
     << "</title>\n<style>\nbody{font-family:sans-serif;margin:1.5em;color:#222}\n"
        "table{border-collapse:collapse;font-size:12px;margin-bottom:1.5em}\n"
        "td,th{border:1px solid #bbb;padding:3px 6px;text-align:right}\n"
        "td:first-child,th:first-child{text-align:left}\nth{background:#eee}\n"
        ".charts{display:flex;flex-wrap:wrap;gap:12px}\n.charts svg{border:1px solid #ddd}\n"
        "</style></head><body>\n<h1>"
     << htmlEscape(title) << "</h1>\n";
  if (!note.empty()) os << "<p>" << htmlEscape(note) << "</p>\n";
  if (table != nullptr) {
    os << "<table class=\"points\"><tr>";
    for (const auto& h : table->header) os << "<th>" << htmlEscape(h) << "</th>";
    os << "</tr>\n";
    for (const auto& row : table->rows) {
      os << "<tr>";
      for (const auto& cell : row) os << "<td>" << htmlEscape(cell) << "</td>";
      os << "</tr>\n";
    }
    os << "</table>\n";
  }
  os << "<h2>Runs</h2>\n<table class=\"runs\"><tr><th>run</th><th>platform</th><th>model</th><th>batch</th>"
        "<th>context</th><th>TPOT mean (us)</th><th>TPOT p99 (us)</th><th>tokens/s</th><th>J/token</th>"
        "<th>tokens/s/W</th><th>$/M tokens</th><th>gCO2e/M tokens</th></tr>\n";
  for (const auto& r : runs) {
    const auto& res = results(r);
    const auto& cfg = r.json.at("config").as_object();
    os << "<tr><td>" << htmlEscape(r.label) << "</td><td>" << htmlEscape(text(cfg, "platform")) << "</td><td>"
       << htmlEscape(text(cfg, "model")) << "</td><td>" << text(cfg, "batch") << "</td><td>" << text(cfg, "context")
       << "</td><td>" << significantText(field(res, "tpot_mean_ns") / 1e3, 4) << "</td><td>"
       << significantText(field(res, "tpot_p99_ns") / 1e3, 4) << "</td><td>"
       << significantText(field(res, "tokens_per_s"), 4) << "</td><td>"
       << significantText(field(res, "joules_per_token"), 4) << "</td><td>"
       << significantText(field(res, "tokens_per_s_per_w"), 4) << "</td><td>"
       << significantText(field(res, "usd_per_million_tokens"), 4) << "</td><td>"
       << significantText(field(res, "gco2e_per_million_tokens"), 4) << "</td></tr>\n";
  }
  os << "</table>\n<h2>Charts</h2>\n<div class=\"charts\">\n";
  os << "<div id=\"tpot\">" << tpotChart(runs) << "</div>\n";
  os << "<div id=\"time\">" << timeChart(runs) << "</div>\n";
  os << "<div id=\"roofline\">" << rooflineChart(runs) << "</div>\n";
  os << "<div id=\"bandwidth\">" << bandwidthChart(runs) << "</div>\n";
  os << "<div id=\"energy\">" << energyChart(runs) << "</div>\n";
  os << "</div>\n<p style=\"font-size:11px;color:#666\">Generated by llmvp report. Roofs: peak FLOP/s of the "
        "compute datatype and the peak bandwidth of the main memory of each run (dashed).</p>\n</body></html>\n";
}

} // namespace llmvp::testbench
