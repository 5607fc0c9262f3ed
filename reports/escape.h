//! Escaping text for the formats reports are written in: HTML, XML, JSON inside a script element.
//!
//! Every string that comes from a scenario file or a run (a scenario name, an operation id, an
//! error message) passes through one of these before it reaches a report, so a name like
//! `<script>alert(1)</script>` is shown as text and never runs. The functions are total: any byte
//! string yields valid output. Invalid UTF-8 is replaced rather than rejected, because a report
//! must still be written for a run whose input was odd.
#pragma once

#include <string>
#include <string_view>

#include "nlohmann/json_fwd.hpp"

namespace tracksim::reports {

// Text safe inside HTML element content and inside double- or single-quoted attribute values.
std::string html_escape(std::string_view text);

// Text safe inside XML 1.0 element content and attribute values: the five special characters
// are escaped and control characters that XML 1.0 cannot carry become U+FFFD.
std::string xml_escape(std::string_view text);

// `value` as JSON that can sit inside <script type="application/json">: ASCII only, with '<',
// '>' and '&' written as \u escapes, so no "</script>" or "<!--" can appear in it.
std::string json_for_script(const nlohmann::json& value);

// Markdown table cell text: '|' and line breaks would end the cell, so they are escaped.
std::string markdown_cell(std::string_view text);

}  // namespace tracksim::reports
