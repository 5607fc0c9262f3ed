// The network model: partitions deliver nothing and heal, offline windows, watchers, and the
// Channel's fifo order, duplicates, reordering, disconnects and reconnects.
#include "sim/world/network.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tracksim::sim {
namespace {

KernelOptions fifo_kernel(std::uint64_t seed = 1) {
  return KernelOptions{.seed = seed, .strategy = ScheduleStrategy::kFifo};
}

LinkConfig constant_latency(double ms) {
  return LinkConfig{.latency = {.mean_ms = ms, .stddev_ms = 0}};
}

// A backend that answers every request at once with success.
class EchoBackend final : public model::DeliveryBackend {
 public:
  model::ApiResponse handle(const model::ApiRequest& request) override {
    ++handled;
    model::ApiResponse response;
    response.success = true;
    response.operation_id = request.operation_id;
    return response;
  }
  int handled = 0;
};

// Sends one message every 100 ms from 0 to `until`, recording what arrives and when it was sent.
struct Receipt {
  int sequence;
  Nanos sent_ns;
  Nanos arrived_ns;
};

TEST(Network, PartitionDeliversNothingAndHeals) {
  Simulation sim(fifo_kernel());
  Network network(sim, constant_latency(10));
  network.add_partition(PartitionWindow{.from_ns = seconds(1), .until_ns = seconds(3)});
  EchoBackend backend;
  ApiServer server(sim, backend);
  AppLink link(sim, network, server, "driver-1");

  std::vector<std::pair<Nanos, bool>> answers;  // (sent at, answered)
  sim.spawn("app", [&] {
    for (int i = 0; i < 40; ++i) {
      model::ApiRequest request;
      request.operation_id = "op-" + std::to_string(i);
      const Nanos sent = sim.now();
      answers.emplace_back(sent, link.call(request, millis(50)).has_value());
      sim.sleep_for(millis(100) - (sim.now() - sent));
    }
  });
  sim.run();

  ASSERT_EQ(answers.size(), 40u);
  for (const auto& [sent, answered] : answers) {
    // A request and its reply take 20 ms; any of that inside the window is lost.
    const bool touches_window = sent + millis(20) > seconds(1) && sent < seconds(3);
    EXPECT_EQ(answered, !touches_window) << "sent at " << to_millis(sent) << " ms";
  }
  EXPECT_EQ(backend.handled, 20);
}

TEST(Network, PartitionOfOneClientLeavesOthersAlone) {
  Simulation sim(fifo_kernel());
  Network network(sim, constant_latency(1));
  network.add_partition(PartitionWindow{.from_ns = 0, .until_ns = seconds(10), .client = "a"});
  EXPECT_TRUE(network.cut("a", seconds(5)));
  EXPECT_FALSE(network.cut("b", seconds(5)));
  EXPECT_FALSE(network.cut("a", seconds(10)));
  network.add_offline("b", seconds(2), seconds(4));
  EXPECT_STREQ(network.cut_reason("b", seconds(3)), "offline");
  EXPECT_STREQ(network.cut_reason("a", seconds(3)), "partition");
}

TEST(Network, WatchersHearEachEdgeOnceEvenWhenWindowsOverlap) {
  Simulation sim(fifo_kernel());
  Network network(sim, constant_latency(1));
  std::vector<std::pair<Nanos, bool>> heard;
  network.watch("a", [&](bool reachable) { heard.emplace_back(sim.now(), reachable); });
  network.add_partition(PartitionWindow{.from_ns = seconds(1), .until_ns = seconds(3)});
  network.add_offline("a", seconds(2), seconds(5));
  network.add_offline("b", seconds(6), seconds(7));
  sim.spawn("idle", [&] { sim.sleep_for(seconds(10)); });
  sim.run();
  const std::vector<std::pair<Nanos, bool>> expected = {{seconds(1), false}, {seconds(5), true}};
  EXPECT_EQ(heard, expected);
}

std::vector<Receipt> stream_through(Simulation& sim, Channel<Receipt>& channel, int messages,
                                    Nanos every_ns) {
  std::vector<Receipt> received;
  sim.spawn("server", [&, messages, every_ns] {
    for (int i = 0; i < messages; ++i) {
      channel.send(Receipt{i, sim.now(), 0});
      sim.sleep_for(every_ns);
    }
  });
  sim.spawn(
      "subscriber",
      [&] {
        for (;;) {
          Receipt r = channel.inbox().receive();
          r.arrived_ns = sim.now();
          received.push_back(r);
        }
      },
      /*daemon=*/true);
  sim.run();
  return received;
}

TEST(Channel, FifoLinkNeverReordersDespiteJitter) {
  Simulation sim(fifo_kernel());
  Network network(sim, LinkConfig{});
  Channel<Receipt> channel(sim, network, "room", "customer",
                           LinkConfig{.latency = {.mean_ms = 50, .stddev_ms = 40}, .fifo = true});
  const std::vector<Receipt> received = stream_through(sim, channel, 200, millis(5));
  ASSERT_EQ(received.size(), 200u);
  for (std::size_t i = 0; i < received.size(); ++i)
    EXPECT_EQ(received[i].sequence, static_cast<int>(i));
}

TEST(Channel, ReorderRateMakesLaterMessagesOvertake) {
  Simulation sim(fifo_kernel());
  Network network(sim, LinkConfig{});
  Channel<Receipt> channel(sim, network, "room", "customer",
                           LinkConfig{.latency = {.mean_ms = 10, .stddev_ms = 0},
                                      .reorder_rate = 0.2,
                                      .reorder_delay = {.mean_ms = 100, .stddev_ms = 0}});
  const std::vector<Receipt> received = stream_through(sim, channel, 500, millis(5));
  ASSERT_EQ(received.size(), 500u);
  int overtaken = 0;
  for (std::size_t i = 1; i < received.size(); ++i) {
    if (received[i].sequence < received[i - 1].sequence) ++overtaken;
  }
  // About a fifth of the messages are held back 100 ms, behind the 20 sent after them.
  EXPECT_GT(overtaken, 60);
  EXPECT_LT(overtaken, 140);
}

TEST(Channel, DuplicatesArriveTwice) {
  Simulation sim(fifo_kernel());
  Network network(sim, LinkConfig{});
  Channel<Receipt> channel(
      sim, network, "room", "customer",
      LinkConfig{.latency = {.mean_ms = 10, .stddev_ms = 2}, .duplicate_rate = 0.25, .fifo = true});
  const std::vector<Receipt> received = stream_through(sim, channel, 400, millis(5));
  EXPECT_GT(received.size(), 470u);
  EXPECT_LT(received.size(), 530u);
  EXPECT_EQ(channel.stats().delivered(), received.size());
}

TEST(Channel, DisconnectsDuringACutAndReconnectsAfterADelay) {
  Simulation sim(fifo_kernel());
  Network network(sim, LinkConfig{});
  network.add_offline("customer", seconds(1), seconds(2));
  Channel<Receipt> channel(sim, network, "room", "customer",
                           LinkConfig{.latency = {.mean_ms = 30, .stddev_ms = 0},
                                      .fifo = true,
                                      .reconnect_delay = {.mean_ms = 500, .stddev_ms = 0}});
  std::vector<std::pair<Nanos, bool>> changes;
  channel.on_connection_change([&](bool up) { changes.emplace_back(sim.now(), up); });
  const std::vector<Receipt> received = stream_through(sim, channel, 40, millis(100));

  const std::vector<std::pair<Nanos, bool>> expected = {{seconds(1), false}, {millis(2500), true}};
  EXPECT_EQ(changes, expected);
  EXPECT_EQ(channel.stats().reconnects(), 1u);
  for (const Receipt& r : received) {
    // Sent while disconnected, or in flight at the disconnect: lost.
    EXPECT_FALSE(r.sent_ns + millis(30) > seconds(1) && r.sent_ns < millis(2500))
        << "message sent at " << to_millis(r.sent_ns) << " ms arrived";
  }
  // 0..900 ms and 2500..3900 ms arrive: 10 + 15.
  EXPECT_EQ(received.size(), 25u);
  EXPECT_EQ(channel.stats().dropped(), 15u);
}

TEST(Channel, DestroyedChannelDropsWhatIsInFlight) {
  Simulation sim(fifo_kernel());
  Network network(sim, LinkConfig{});
  auto channel =
      std::make_unique<Channel<Receipt>>(sim, network, "room", "customer", constant_latency(100));
  sim.spawn("server", [&] {
    channel->send(Receipt{1, sim.now(), 0});
    sim.sleep_for(millis(10));
    channel.reset();
  });
  const RunOutcome outcome = sim.run();
  EXPECT_EQ(outcome.status, RunStatus::kQuiescent);
}

}  // namespace
}  // namespace tracksim::sim
