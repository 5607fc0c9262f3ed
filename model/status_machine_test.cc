// Every pair of statuses against the machine's table, the geofence rule and its distances.
#include "model/status_machine.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "model/testing/in_memory_store.h"

namespace tracksim::model {
namespace {

using S = DeliveryStatus;

// The allowed transitions, written out literally rather than derived.
const std::set<std::pair<S, S>>& expected_transitions() {
  static const std::set<std::pair<S, S>> table = [] {
    std::set<std::pair<S, S>> t = {
        {S::kPending, S::kAssigned},          {S::kAssigned, S::kHeadingToPickup},
        {S::kHeadingToPickup, S::kAtPickup},  {S::kAtPickup, S::kPickedUp},
        {S::kPickedUp, S::kHeadingToDropoff}, {S::kHeadingToDropoff, S::kAtDropoff},
        {S::kAtDropoff, S::kDelivered},
    };
    for (S from : {S::kPending, S::kAssigned, S::kHeadingToPickup, S::kAtPickup, S::kPickedUp,
                   S::kHeadingToDropoff, S::kAtDropoff}) {
      t.insert({from, S::kCancelled});
      t.insert({from, S::kFailed});
    }
    return t;
  }();
  return table;
}

TEST(StatusMachine, EveryPairMatchesTheTable) {
  int allowed = 0;
  for (int i = 0; i < kDeliveryStatusCount; ++i) {
    for (int j = 0; j < kDeliveryStatusCount; ++j) {
      const auto from = static_cast<S>(i);
      const auto to = static_cast<S>(j);
      const bool expected = expected_transitions().count({from, to}) == 1;
      EXPECT_EQ(is_allowed_transition(from, to), expected)
          << to_string(from) << " -> " << to_string(to);
      auto status = validate_transition(from, to);
      EXPECT_EQ(status.ok(), expected);
      if (!expected) {
        EXPECT_EQ(status.error_class(), ErrorClass::kInvalidTransition);
        EXPECT_NE(status.error().message.find(std::string(to_string(from))), std::string::npos);
      }
      allowed += expected ? 1 : 0;
    }
  }
  EXPECT_EQ(allowed, 7 + 2 * 7);
}

TEST(StatusMachine, TerminalStatesAreFinal) {
  for (S s : {S::kDelivered, S::kCancelled, S::kFailed}) {
    EXPECT_TRUE(is_terminal(s));
    EXPECT_TRUE(allowed_next(s).empty()) << to_string(s);
  }
  EXPECT_FALSE(is_terminal(S::kAtDropoff));
}

TEST(StatusMachine, NoStatusMovesToItself) {
  for (int i = 0; i < kDeliveryStatusCount; ++i) {
    EXPECT_FALSE(is_allowed_transition(static_cast<S>(i), static_cast<S>(i)));
  }
}

TEST(StatusMachine, AllowedNextIsInEnumOrder) {
  const std::vector<S> expected = {S::kHeadingToPickup, S::kCancelled, S::kFailed};
  EXPECT_EQ(allowed_next(S::kAssigned), expected);
}

TEST(Haversine, OneDegreeOfLatitudeIsAbout111Km) {
  const double d = haversine_distance_m(GeoPoint{0, 0}, GeoPoint{1, 0});
  EXPECT_NEAR(d, 111'195.08, 0.5);
  EXPECT_DOUBLE_EQ(haversine_distance_m(GeoPoint{10, 20}, GeoPoint{10, 20}), 0.0);
}

TEST(Haversine, IsSymmetricAndHandlesAntipodes) {
  const GeoPoint lisbon{38.7223, -9.1393};
  const GeoPoint porto{41.1579, -8.6291};
  EXPECT_DOUBLE_EQ(haversine_distance_m(lisbon, porto), haversine_distance_m(porto, lisbon));
  EXPECT_NEAR(haversine_distance_m(lisbon, porto), 274'000, 2'000);
  EXPECT_NEAR(haversine_distance_m(GeoPoint{0, 0}, GeoPoint{0, 180}), 3.14159265 * kEarthRadius_m,
              1.0);
}

// A position `metres` north of `p` (one degree of latitude is about 111,195 m).
Location north_of(const GeoPoint& p, double metres) {
  return Location{
      .lat = p.lat + metres / 111'195.08, .lng = p.lng, .accuracy_m = 5, .device_time_ns = 0};
}

TEST(AutomaticTransition, PickupFenceMovesHeadingToPickupToAtPickup) {
  auto doc = testing::make_delivery("d1", 0, S::kHeadingToPickup);
  EXPECT_EQ(automatic_transition(doc, north_of(doc.pickup, 49), 50), S::kAtPickup);
  EXPECT_EQ(automatic_transition(doc, north_of(doc.pickup, 51), 50), std::nullopt);
}

TEST(AutomaticTransition, DropoffFenceMovesHeadingToDropoffToAtDropoff) {
  auto doc = testing::make_delivery("d1", 0, S::kHeadingToDropoff);
  EXPECT_EQ(automatic_transition(doc, north_of(doc.dropoff, 10), 50), S::kAtDropoff);
  EXPECT_EQ(automatic_transition(doc, north_of(doc.pickup, 0), 50), std::nullopt);
}

TEST(AutomaticTransition, OnlyFromTheHeadingStatuses) {
  for (int i = 0; i < kDeliveryStatusCount; ++i) {
    const auto s = static_cast<S>(i);
    auto doc = testing::make_delivery("d1", 0, s);
    const auto at_pickup = automatic_transition(doc, north_of(doc.pickup, 0), 50);
    const auto at_dropoff = automatic_transition(doc, north_of(doc.dropoff, 0), 50);
    EXPECT_EQ(at_pickup.has_value(), s == S::kHeadingToPickup) << to_string(s);
    EXPECT_EQ(at_dropoff.has_value(), s == S::kHeadingToDropoff) << to_string(s);
  }
}

TEST(AutomaticTransition, UnvalidatedRuleIgnoresTheStatus) {
  auto doc = testing::make_delivery("d1", 0, S::kDelivered);
  EXPECT_EQ(unvalidated_geofence_status(doc, north_of(doc.pickup, 0), 50), S::kAtPickup);
  doc.status = S::kAtPickup;
  EXPECT_EQ(unvalidated_geofence_status(doc, north_of(doc.pickup, 0), 50), std::nullopt);
}

}  // namespace
}  // namespace tracksim::model
