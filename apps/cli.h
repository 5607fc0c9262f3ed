// The tracksim command line as a library: parse arguments, run, print, return the exit code.
//
// Exit codes: 0 when every checked property holds, 1 when one is violated, 2 on bad input or usage.
#pragma once

namespace tracksim::cli {

inline constexpr int kExitPass = 0;
inline constexpr int kExitViolation = 1;
inline constexpr int kExitBadInput = 2;

int main(int argc, char** argv);

}  // namespace tracksim::cli
