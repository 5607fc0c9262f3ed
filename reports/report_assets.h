//! The fixed parts of report.html: its stylesheet and its script, inlined into every page so the
//! file works offline, from file://, with nothing fetched.
//!
//! The script only reads the JSON data element the page carries and builds the timeline with DOM
//! calls that take text as text (textContent, setAttribute): no string from the data is ever
//! parsed as HTML. It marks the body with data-ok="1" when it has drawn the page, and sets
//! data-error to the message of any uncaught error, which is how the browser test tells a working
//! page from a broken one.
#pragma once

#include <string_view>

namespace tracksim::reports {

extern const std::string_view kReportStyle;
extern const std::string_view kReportScript;

}  // namespace tracksim::reports
