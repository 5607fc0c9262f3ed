// Kernel behaviour: virtual time, ordering, waits with timeouts, failures, determinism.
#include "sim/kernel/simulation.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/kernel/sync.h"

namespace tracksim::sim {
namespace {

KernelOptions fifo(std::uint64_t seed = 1) {
  return KernelOptions{.seed = seed, .strategy = ScheduleStrategy::kFifo};
}

TEST(Simulation, SleepAdvancesVirtualTimeOnly) {
  Simulation sim(fifo());
  std::vector<std::pair<std::string, Nanos>> log;
  sim.spawn("a", [&] {
    sim.sleep_for(millis(30));
    log.emplace_back("a", sim.now());
  });
  sim.spawn("b", [&] {
    sim.sleep_for(millis(10));
    log.emplace_back("b", sim.now());
    sim.sleep_for(millis(10));
    log.emplace_back("b", sim.now());
  });
  const RunOutcome outcome = sim.run();
  EXPECT_EQ(outcome.status, RunStatus::kQuiescent);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0], std::make_pair(std::string("b"), millis(10)));
  EXPECT_EQ(log[1], std::make_pair(std::string("b"), millis(20)));
  EXPECT_EQ(log[2], std::make_pair(std::string("a"), millis(30)));
  EXPECT_EQ(outcome.end_time_ns, millis(30));
}

TEST(Simulation, EqualTimesRunInSchedulingOrderUnderFifo) {
  Simulation sim(fifo());
  std::string order;
  for (char name : std::string("abcde")) {
    sim.spawn(std::string(1, name), [&, name] {
      sim.sleep_for(millis(5));
      order += name;
    });
  }
  sim.run();
  EXPECT_EQ(order, "abcde");
}

TEST(Simulation, FibersGetLogicalIdsInCreationOrder) {
  Simulation sim(fifo());
  EXPECT_EQ(sim.spawn("first", [] {}), 1u);
  EXPECT_EQ(sim.spawn("second", [] {}), 2u);
  std::uint64_t inner = 0;
  sim.spawn("parent", [&] { inner = sim.spawn("child", [] {}); });
  sim.run();
  EXPECT_EQ(inner, 4u);
}

TEST(Simulation, RandomPolicyIsSeededAndVaries) {
  auto order_for = [](std::uint64_t seed) {
    Simulation sim(KernelOptions{.seed = seed, .strategy = ScheduleStrategy::kRandom});
    std::string order;
    for (char name : std::string("abcdefgh")) {
      sim.spawn(std::string(1, name), [&, name] { order += name; });
    }
    sim.run();
    return order;
  };
  EXPECT_EQ(order_for(7), order_for(7));
  bool any_differs = false;
  for (std::uint64_t seed = 1; seed < 20 && !any_differs; ++seed) {
    any_differs = order_for(seed) != order_for(seed + 100);
  }
  EXPECT_TRUE(any_differs);
}

TEST(Simulation, ReplyArrivesBeforeTimeout) {
  Simulation sim(fifo());
  auto reply = make_reply<int>();
  std::optional<int> got;
  Nanos got_at = -1;
  sim.spawn("waiter", [&] {
    got = reply->wait_for(millis(100));
    got_at = sim.now();
  });
  sim.after(millis(40), [&] { reply->set(42); });
  EXPECT_EQ(sim.run().status, RunStatus::kQuiescent);
  EXPECT_EQ(got, 42);
  EXPECT_EQ(got_at, millis(40));
}

TEST(Simulation, TimeoutWinsAndLateReplyIsHarmless) {
  Simulation sim(fifo());
  auto reply = make_reply<int>();
  std::optional<int> got = 0;
  Nanos got_at = -1;
  sim.spawn("waiter", [&] {
    got = reply->wait_for(millis(100));
    got_at = sim.now();
    sim.sleep_for(millis(200));  // still alive when the late reply lands
  });
  sim.after(millis(150), [reply] { reply->set(7); });
  EXPECT_EQ(sim.run().status, RunStatus::kQuiescent);
  EXPECT_FALSE(got.has_value());
  EXPECT_EQ(got_at, millis(100));
  EXPECT_TRUE(reply->answered());
}

TEST(Simulation, MailboxServesReceiversInOrderAndTimesOut) {
  Simulation sim(fifo());
  Mailbox<int> box;
  std::vector<std::string> log;
  for (const char* name : {"r1", "r2"}) {
    sim.spawn(name, [&, name] {
      auto value = box.receive_for(millis(50));
      log.push_back(std::string(name) + "=" + (value ? std::to_string(*value) : "timeout") + "@" +
                    std::to_string(sim.now() / kNanosPerMilli));
    });
  }
  sim.after(millis(10), [&] { box.send(1); });
  sim.run();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0], "r1=1@10");
  EXPECT_EQ(log[1], "r2=timeout@50");
}

TEST(Simulation, DeadlockNamesTheBlockedFibers) {
  Simulation sim(fifo());
  Mailbox<int> never;
  sim.spawn("stuck-driver", [&] { never.receive(); });
  sim.spawn(
      "server", [&] { never.receive(); }, /*daemon=*/true);
  const RunOutcome outcome = sim.run();
  EXPECT_EQ(outcome.status, RunStatus::kDeadlock);
  EXPECT_NE(outcome.detail.find("stuck-driver#1 waiting on mailbox"), std::string::npos);
  EXPECT_EQ(outcome.detail.find("server"), std::string::npos);
}

TEST(Simulation, ExceptionInFiberIsCapturedAndEndsTheRun) {
  Simulation sim(fifo());
  bool later_ran = false;
  sim.spawn("thrower", [] { throw std::runtime_error("broken invariant"); });
  sim.spawn("later", [&] {
    sim.sleep_for(seconds(1));
    later_ran = true;
  });
  const RunOutcome outcome = sim.run();
  EXPECT_EQ(outcome.status, RunStatus::kFiberFailed);
  EXPECT_EQ(outcome.detail, "fiber thrower: broken invariant");
  EXPECT_FALSE(later_ran);
}

TEST(Simulation, TimeLimitCancelsLiveFibers) {
  Simulation sim(fifo());
  int ticks = 0;
  bool unwound = false;
  sim.spawn("ticker", [&] {
    struct Guard {
      bool& flag;
      ~Guard() { flag = true; }
    } guard{unwound};
    for (;;) {
      sim.sleep_for(seconds(1));
      ++ticks;
    }
  });
  const RunOutcome outcome = sim.run(seconds(10) + 1);
  EXPECT_EQ(outcome.status, RunStatus::kTimeLimit);
  EXPECT_EQ(ticks, 10);
  EXPECT_TRUE(unwound);
}

TEST(Simulation, ManyShortFibersAreReleased) {
  Simulation sim(fifo());
  int done = 0;
  sim.spawn("spawner", [&] {
    for (int i = 0; i < 5000; ++i) {
      sim.spawn("worker", [&] {
        sim.sleep_for(millis(1));
        ++done;
      });
      sim.sleep_for(micros(100));
    }
  });
  EXPECT_EQ(sim.run().status, RunStatus::kQuiescent);
  EXPECT_EQ(done, 5000);
}

std::uint64_t digest_of(std::uint64_t seed) {
  Simulation sim(KernelOptions{.seed = seed, .strategy = ScheduleStrategy::kRandom});
  Mailbox<int> box;
  for (int i = 0; i < 20; ++i) {
    sim.spawn("producer", [&, i] {
      RandomStream stream = sim.stream("producer-" + std::to_string(i));
      sim.sleep_for(static_cast<Nanos>(stream.exponential(1e6)));
      box.send(i);
    });
  }
  sim.spawn("consumer", [&] {
    for (int i = 0; i < 20; ++i) {
      const int value = box.receive();
      sim.trace().event(sim.now(), "got").field("value", value);
    }
  });
  sim.run();
  return sim.trace().digest();
}

TEST(Simulation, SameSeedSameDigestDifferentSeedDifferentDigest) {
  EXPECT_EQ(digest_of(3), digest_of(3));
  EXPECT_NE(digest_of(3), digest_of(4));
}

TEST(Simulation, SimulationsRunOneAfterAnotherOnOneThread) {
  for (int i = 0; i < 3; ++i) {
    Simulation sim(fifo());
    int count = 0;
    sim.spawn("x", [&] {
      sim.sleep_for(1);
      ++count;
    });
    sim.run();
    EXPECT_EQ(count, 1);
  }
}

}  // namespace
}  // namespace tracksim::sim

namespace tracksim::sim {
namespace {

std::string pct_order(std::uint64_t seed, int depth) {
  Simulation sim(KernelOptions{.seed = seed,
                               .strategy = ScheduleStrategy::kPct,
                               .pct_depth = depth,
                               .pct_horizon_steps = 8});
  std::string order;
  for (char name : std::string("abcd")) {
    sim.spawn(std::string(1, name), [&, name] {
      order += name;
      sim.sleep_for(0);
      order += name;
    });
  }
  sim.run();
  return order;
}

TEST(PctPolicy, ReproducibleAndSeedDependent) {
  EXPECT_EQ(pct_order(5, 3), pct_order(5, 3));
  std::set<std::string> orders;
  for (std::uint64_t seed = 1; seed <= 30; ++seed)
    orders.insert(pct_order(seed, 3));
  EXPECT_GT(orders.size(), 3u);
}

TEST(PctPolicy, DepthOneRunsEachFiberToItsNextWaitByPriority) {
  // Without change points the highest-priority ready fiber always runs: a fiber that becomes
  // ready again at the same instant keeps the lead, so each fiber's two steps are adjacent
  // whenever it outranks everyone still waiting.
  const std::string order = pct_order(9, 1);
  EXPECT_EQ(order.size(), 8u);
  EXPECT_EQ(order, pct_order(9, 1));
}

TEST(PctPolicy, NamesRoundTrip) {
  for (ScheduleStrategy s :
       {ScheduleStrategy::kFifo, ScheduleStrategy::kRandom, ScheduleStrategy::kPct}) {
    EXPECT_EQ(schedule_strategy_from_string(to_string(s)), s);
  }
  EXPECT_FALSE(schedule_strategy_from_string("lifo").has_value());
}

}  // namespace
}  // namespace tracksim::sim
