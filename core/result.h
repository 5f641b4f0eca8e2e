// result<T>: the return type of every fallible ROMS operation.
//
//   roms::result<order> r = decide(state, cmd);
//   if (!r) return r.error();          // std::error_code, e.g. roms::errc::invalid_transition
//   BOOST_OUTCOME_TRY(auto v, f());     // propagate
//
// Domain rejections are values, never exceptions (STYLE.md, "Errors").
#pragma once

#include <string>
#include <system_error>

#include <boost/outcome/result.hpp>
#include <boost/outcome/try.hpp>

namespace roms {

namespace outcome = boost::outcome_v2;

template <class T>
using result = outcome::result<T, std::error_code, outcome::policy::terminate>;

using outcome::failure;
using outcome::success;

// An error with a human sentence attached: the code is for programs, the message for people.
// Used where the code alone would leave the user guessing (which field, which position).
struct error_info {
  std::error_code code;
  std::string message;
};

template <class T>
using result_msg = outcome::result<T, error_info, outcome::policy::terminate>;

}  // namespace roms
