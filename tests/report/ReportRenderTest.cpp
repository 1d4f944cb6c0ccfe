// SPDX-License-Identifier: Apache-2.0
// The HTML report rendered by a real browser (headless Chromium, Debian
// packages chromium and chromium-driver): the DOM holds every chart with its
// SVG elements, and the screenshot is not blank.
#include <cstdlib>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <set>
#include <zlib.h>

#include "tests/support/Cli.h"

using namespace llmvp::test;

namespace {
const std::string kPlatform = config("platforms/baseline.yaml");
const std::string kTiny = config("models/tiny-llama.yaml");

std::string findChromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

/// Runs argv with stdout to `outFile` and stderr to `errFile`; returns the exit code.
int runTo(const std::vector<std::string>& argv, const std::string& outFile, const std::string& errFile) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int o = ::open(outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(o, 1);
    ::dup2(e, 2);
    std::vector<char*> raw;
    for (const auto& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<std::string> chromiumArgs(const std::string& exe, const ScratchDir& dir, const std::string& profile) {
  return {exe,
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
          "--hide-scrollbars",
          "--user-data-dir=" + dir.file(profile),
          "--window-size=1300,1400"};
}

struct Image {
  std::uint32_t width = 0, height = 0;
  std::vector<std::uint8_t> rgb; ///< 3 bytes per pixel
};

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

/// Decodes an 8-bit RGB or RGBA non-interlaced PNG (what Chromium writes).
bool decodePng(const std::string& bytes, Image& img, std::string& why) {
  const auto* d = reinterpret_cast<const std::uint8_t*>(bytes.data());
  if (bytes.size() < 33 || bytes.compare(1, 3, "PNG") != 0) {
    why = "not a PNG";
    return false;
  }
  std::size_t pos = 8;
  unsigned colorType = 0, depth = 0, interlace = 0;
  std::vector<std::uint8_t> idat;
  while (pos + 8 <= bytes.size()) {
    const std::uint32_t len = be32(d + pos);
    const std::string type(bytes.data() + pos + 4, 4);
    const std::uint8_t* body = d + pos + 8;
    if (type == "IHDR") {
      img.width = be32(body);
      img.height = be32(body + 4);
      depth = body[8];
      colorType = body[9];
      interlace = body[12];
    } else if (type == "IDAT") {
      idat.insert(idat.end(), body, body + len);
    }
    pos += 12 + len;
  }
  if (depth != 8 || (colorType != 2 && colorType != 6) || interlace != 0) {
    why = "unsupported PNG format";
    return false;
  }
  const std::size_t bpp = colorType == 6 ? 4 : 3, stride = img.width * bpp;
  std::vector<std::uint8_t> raw((stride + 1) * img.height);
  uLongf rawLen = raw.size();
  if (uncompress(raw.data(), &rawLen, idat.data(), idat.size()) != Z_OK || rawLen != raw.size()) {
    why = "bad image data";
    return false;
  }
  std::vector<std::uint8_t> prev(stride, 0), cur(stride);
  img.rgb.resize(std::size_t{img.width} * img.height * 3);
  for (std::uint32_t y = 0; y < img.height; ++y) {
    const std::uint8_t filter = raw[y * (stride + 1)];
    const std::uint8_t* in = &raw[y * (stride + 1) + 1];
    for (std::size_t x = 0; x < stride; ++x) {
      const int a = x >= bpp ? cur[x - bpp] : 0, b = prev[x], c = x >= bpp ? prev[x - bpp] : 0;
      int v = in[x];
      switch (filter) {
      case 0: break;
      case 1: v += a; break;
      case 2: v += b; break;
      case 3: v += (a + b) / 2; break;
      case 4: {
        const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
        v += (pa <= pb && pa <= pc) ? a : pb <= pc ? b : c;
        break;
      }
      default: why = "bad filter"; return false;
      }
      cur[x] = static_cast<std::uint8_t>(v);
    }
    for (std::uint32_t x = 0; x < img.width; ++x)
      for (int k = 0; k < 3; ++k) img.rgb[(std::size_t{y} * img.width + x) * 3 + k] = cur[x * bpp + k];
    std::swap(prev, cur);
  }
  return true;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}
} // namespace

TEST(ReportRender, ChromiumShowsEveryChartNonEmpty) {
  const std::string chromium = findChromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium not installed (scripts/install-deps installs it)";
  ScratchDir dir("report-render");
  for (const char* b : {"1", "4"}) {
    const CliResult r = runLlmvp({"run", "--platform", kPlatform, "--model", kTiny, "--gen-tokens", "6", "--context",
                                  "64", "--batch", b, "--json", dir.file(std::string("batch") + b + ".json")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  const CliResult r =
      runLlmvp({"report", dir.file("batch1.json"), dir.file("batch4.json"), "-o", dir.file("report.html")});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const std::string url = "file://" + dir.file("report.html");

  auto dom = chromiumArgs(chromium, dir, "profile-dom");
  dom.insert(dom.end(), {"--dump-dom", url});
  ASSERT_EQ(runTo(dom, dir.file("dom.html"), dir.file("dom.err")), 0) << slurp(dir.file("dom.err"));
  const std::string html = slurp(dir.file("dom.html"));
  EXPECT_EQ(count(html, "<svg"), 5u) << html.substr(0, 2000);
  for (const char* id : {"id=\"tpot\"", "id=\"time\"", "id=\"roofline\"", "id=\"bandwidth\"", "id=\"energy\""})
    EXPECT_NE(html.find(id), std::string::npos) << id;
  EXPECT_GE(count(html, "<polyline"), 4u);
  EXPECT_GE(count(html, "<circle"), 2u);
  EXPECT_GE(count(html, "class=\"bar\""), 4u);

  auto shot = chromiumArgs(chromium, dir, "profile-shot");
  shot.insert(shot.end(), {"--screenshot=" + dir.file("shot.png"), url});
  ASSERT_EQ(runTo(shot, dir.file("shot.out"), dir.file("shot.err")), 0) << slurp(dir.file("shot.err"));
  Image img;
  std::string why;
  ASSERT_TRUE(decodePng(slurp(dir.file("shot.png")), img, why)) << why;
  EXPECT_EQ(img.width, 1300u);
  std::size_t nonWhite = 0;
  std::set<std::uint32_t> colors;
  for (std::size_t i = 0; i + 2 < img.rgb.size(); i += 3) {
    const std::uint32_t c = (std::uint32_t{img.rgb[i]} << 16) | (std::uint32_t{img.rgb[i + 1]} << 8) | img.rgb[i + 2];
    if (c != 0xffffff) ++nonWhite;
    if (colors.size() < 1000) colors.insert(c);
  }
  const double share = static_cast<double>(nonWhite) / (static_cast<double>(img.rgb.size()) / 3);
  RecordProperty("non_white_share", std::to_string(share));
  EXPECT_GT(share, 0.01) << "screenshot is (almost) blank";
  EXPECT_TRUE(colors.count(0x1f77b4) || colors.count(0xff7f0e)) << "no chart colours in the screenshot";
  EXPECT_GT(colors.size(), 20u);
}
