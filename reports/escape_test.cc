// Escaping: hostile strings come out as text in every format a report is written in.
#include "reports/escape.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tracksim::reports {
namespace {

const std::string kHostile = "<script>alert(1)</script> & \"double\" 'single'";

TEST(Escape, HtmlEscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(html_escape(kHostile),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;double&quot; &#39;single&#39;");
  EXPECT_EQ(html_escape("plain delivery-1"), "plain delivery-1");
  EXPECT_EQ(html_escape(""), "");
}

TEST(Escape, XmlEscapesAndReplacesControlCharacters) {
  EXPECT_EQ(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(xml_escape(std::string("bell\a")), "bell\xEF\xBF\xBD");
  EXPECT_EQ(xml_escape("tab\tnewline\n"), "tab\tnewline\n");
}

TEST(Escape, JsonForScriptCannotCloseTheScriptElement) {
  const nlohmann::json value = {{"name", kHostile}, {"comment", "<!-- x -->"}, {"ls", "\u2028"}};
  const std::string text = json_for_script(value);
  EXPECT_EQ(text.find('<'), std::string::npos);
  EXPECT_EQ(text.find('>'), std::string::npos);
  EXPECT_EQ(text.find('&'), std::string::npos);
  for (unsigned char c : text)
    EXPECT_LT(c, 0x80) << "non-ASCII byte in " << text;
  // And it still means the same thing.
  EXPECT_EQ(nlohmann::json::parse(text), value);
}

TEST(Escape, JsonForScriptSurvivesInvalidUtf8) {
  const nlohmann::json value = {{"bad", std::string("\xff\xfe")}};
  EXPECT_NO_THROW((void)json_for_script(value));
}

TEST(Escape, MarkdownCellKeepsTheTableShape) {
  EXPECT_EQ(markdown_cell("a|b\nc"), "a\\|b c");
}

}  // namespace
}  // namespace tracksim::reports
