#include "runtime/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fakes/fake_clock.h"
#include "runtime/rate_limiter.h"

// client-go's util/workqueue tests (queue_test.go, delaying_queue_test.go,
// rate_limiting_queue_test.go), written anew for WorkQueue.

namespace tenantdb::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ObjectKey Key(const std::string& name) { return ObjectKey{"ns", name}; }

std::unique_ptr<WorkQueue> NewQueue(fakes::FakeClock& clock, milliseconds base = milliseconds(1),
                                    milliseconds max = milliseconds(1000)) {
  return std::make_unique<WorkQueue>(clock,
                                     std::make_unique<ItemExponentialRateLimiter>(base, max));
}

enum class Shutdown { kShutDown, kShutDownWithDrain };

class WorkQueueShutdownTest : public ::testing::TestWithParam<Shutdown> {
 protected:
  void ShutDownQueue(WorkQueue& q) {
    if (GetParam() == Shutdown::kShutDown) {
      q.ShutDown();
    } else {
      q.ShutDownWithDrain();
    }
  }
};

// queue_test.go TestBasic: producers and consumers; nothing added after shutdown is handed out.
TEST_P(WorkQueueShutdownTest, Basic) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  constexpr int kProducers = 20;
  constexpr int kConsumers = 5;
  std::vector<std::thread> producers;
  for (int i = 0; i < kProducers; ++i) {
    producers.emplace_back([&q, i] {
      for (int j = 0; j < 20; ++j) {
        q->Add(Key(std::to_string(i)));
        std::this_thread::yield();
      }
    });
  }
  std::atomic<bool> got_late_item{false};
  std::vector<std::thread> consumers;
  for (int i = 0; i < kConsumers; ++i) {
    consumers.emplace_back([&q, &got_late_item] {
      while (true) {
        const std::optional<ObjectKey> key = q->Get();
        if (!key) {
          return;
        }
        if (key->name == "added after shutdown!") {
          got_late_item = true;
        }
        std::this_thread::yield();
        q->Done(*key);
      }
    });
  }
  for (auto& t : producers) {
    t.join();
  }
  ShutDownQueue(*q);
  q->Add(Key("added after shutdown!"));
  for (auto& t : consumers) {
    t.join();
  }
  EXPECT_FALSE(got_late_item);
  EXPECT_EQ(q->Len(), 0u);
}

// queue_test.go TestAddWhileProcessing: every consumer re-adds each item once while processing.
TEST_P(WorkQueueShutdownTest, AddWhileProcessing) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  constexpr int kProducers = 20;
  std::vector<std::thread> producers;
  for (int i = 0; i < kProducers; ++i) {
    producers.emplace_back([&q, i] { q->Add(Key(std::to_string(i))); });
  }
  std::vector<std::thread> consumers;
  for (int i = 0; i < 5; ++i) {
    consumers.emplace_back([&q] {
      std::map<ObjectKey, int> counters;
      while (true) {
        const std::optional<ObjectKey> key = q->Get();
        if (!key) {
          return;
        }
        if (++counters[*key] < 2) {
          q->Add(*key);
        }
        q->Done(*key);
      }
    });
  }
  for (auto& t : producers) {
    t.join();
  }
  ShutDownQueue(*q);
  for (auto& t : consumers) {
    t.join();
  }
  EXPECT_EQ(q->Len(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Both, WorkQueueShutdownTest,
                         ::testing::Values(Shutdown::kShutDown, Shutdown::kShutDownWithDrain));

// queue_test.go TestLen.
TEST(WorkQueueTest, LenCountsDistinctKeys) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->Add(Key("foo"));
  EXPECT_EQ(q->Len(), 1u);
  q->Add(Key("bar"));
  EXPECT_EQ(q->Len(), 2u);
  q->Add(Key("foo"));  // deduplicated
  EXPECT_EQ(q->Len(), 2u);
}

TEST(WorkQueueTest, GetReturnsKeysInOrderOfFirstAdd) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->Add(Key("a"));
  q->Add(Key("b"));
  q->Add(Key("a"));
  EXPECT_EQ(q->Get(), Key("a"));
  EXPECT_EQ(q->Get(), Key("b"));
  EXPECT_EQ(q->Len(), 0u);
}

// queue_test.go TestReinsert: a key added while processing is queued again by Done.
TEST(WorkQueueTest, ReAddWhileProcessingRequeuesOnDone) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->Add(Key("foo"));
  const auto key = q->Get();
  ASSERT_EQ(key, Key("foo"));
  q->Add(*key);
  EXPECT_EQ(q->Len(), 0u);  // not handed to a second worker while processing
  q->Done(*key);
  EXPECT_EQ(q->Len(), 1u);
  const auto again = q->Get();
  EXPECT_EQ(again, Key("foo"));
  q->Done(*again);
  EXPECT_EQ(q->Len(), 0u);
}

TEST(WorkQueueTest, DoneWithoutReAddDoesNotRequeue) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->Add(Key("foo"));
  q->Done(*q->Get());
  EXPECT_EQ(q->Len(), 0u);
}

TEST(WorkQueueTest, ShutDownUnblocksGet) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  std::optional<ObjectKey> got = Key("sentinel");
  std::thread consumer([&] { got = q->Get(); });
  q->ShutDown();
  consumer.join();
  EXPECT_EQ(got, std::nullopt);
  EXPECT_TRUE(q->ShuttingDown());
}

TEST(WorkQueueTest, GetHandsOutQueuedKeysAfterShutDown) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->Add(Key("foo"));
  q->ShutDown();
  q->Add(Key("bar"));  // ignored
  EXPECT_EQ(q->Get(), Key("foo"));
  EXPECT_EQ(q->Get(), std::nullopt);
}

// queue_test.go TestQueueDrainageUsingShutDownWithDrain.
TEST(WorkQueueTest, ShutDownWithDrainWaitsForDone) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->Add(Key("foo"));
  q->Add(Key("bar"));
  const auto first = q->Get();
  const auto second = q->Get();
  std::atomic<bool> drained{false};
  std::thread drainer([&] {
    q->ShutDownWithDrain();
    drained = true;
  });
  while (q->Get().has_value()) {  // returns nullopt once shutting down
  }
  EXPECT_FALSE(drained);
  q->Done(*first);
  EXPECT_FALSE(drained);
  q->Done(*second);
  drainer.join();
  EXPECT_TRUE(drained);
}

// queue_test.go TestNoQueueDrainageUsingShutDown.
TEST(WorkQueueTest, ShutDownDoesNotWaitForDone) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->Add(Key("foo"));
  q->Add(Key("bar"));
  (void)q->Get();
  (void)q->Get();
  std::thread stopper([&] { q->ShutDown(); });
  stopper.join();  // would hang if ShutDown drained
  EXPECT_TRUE(q->ShuttingDown());
}

// queue_test.go TestForceQueueShutdownUsingShutDown.
TEST(WorkQueueTest, ShutDownEndsAPendingDrain) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->Add(Key("foo"));
  q->Add(Key("bar"));
  (void)q->Get();
  (void)q->Get();
  std::thread drainer([&] { q->ShutDownWithDrain(); });
  while (q->Get().has_value()) {
  }
  q->ShutDown();
  drainer.join();  // returns although nothing was Done
}

// queue_test.go TestQueueDrainageUsingShutDownWithDrainWithDirtyItem.
TEST(WorkQueueTest, DrainHandsOutADirtyKeyAgain) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->Add(Key("foo"));
  const auto gotten = q->Get();
  q->Add(Key("foo"));
  std::thread drainer([&] { q->ShutDownWithDrain(); });
  while (q->Get().has_value()) {
  }
  q->Done(*gotten);
  const auto again = q->Get();
  ASSERT_EQ(again, Key("foo"));
  q->Done(*again);
  EXPECT_EQ(q->Get(), std::nullopt);
  drainer.join();
}

// delaying_queue_test.go TestSimpleQueue.
TEST(WorkQueueDelayTest, AddAfterAppearsWhenTheClockReachesIt) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->AddAfter(Key("foo"), milliseconds(50));
  EXPECT_EQ(q->NumDelayed(), 1u);
  EXPECT_EQ(q->Len(), 0u);
  clock.Advance(milliseconds(49));
  EXPECT_EQ(q->Len(), 0u);
  clock.Advance(milliseconds(11));
  EXPECT_EQ(q->Len(), 1u);  // moved during Advance()
  EXPECT_EQ(q->NumDelayed(), 0u);
  q->Done(*q->Get());
  clock.Advance(seconds(10));
  EXPECT_EQ(q->Len(), 0u);
}

TEST(WorkQueueDelayTest, NonPositiveDelayAddsAtOnce) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->AddAfter(Key("foo"), milliseconds(0));
  q->AddAfter(Key("bar"), milliseconds(-5));
  EXPECT_EQ(q->Len(), 2u);
  EXPECT_EQ(q->NumDelayed(), 0u);
}

// delaying_queue_test.go TestDeduping: the earliest ready time wins.
TEST(WorkQueueDelayTest, DelayedKeyIsDeduplicatedToTheEarliestTime) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->AddAfter(Key("foo"), milliseconds(50));
  q->AddAfter(Key("foo"), milliseconds(70));
  EXPECT_EQ(q->NumDelayed(), 1u);
  clock.Advance(milliseconds(60));
  EXPECT_EQ(q->Len(), 1u);
  q->Done(*q->Get());
  clock.Advance(milliseconds(20));  // past the second (merged) AddAfter
  EXPECT_EQ(q->Len(), 0u);

  q->AddAfter(Key("foo"), milliseconds(50));
  q->AddAfter(Key("foo"), milliseconds(30));  // earlier: replaces
  EXPECT_EQ(q->NumDelayed(), 1u);
  clock.Advance(milliseconds(40));
  EXPECT_EQ(q->Len(), 1u);
  q->Done(*q->Get());
  clock.Advance(milliseconds(20));
  EXPECT_EQ(q->Len(), 0u);
}

// delaying_queue_test.go TestAddTwoFireEarly.
TEST(WorkQueueDelayTest, EarlierKeyFiresFirst) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->AddAfter(Key("first"), seconds(1));
  q->AddAfter(Key("second"), milliseconds(50));
  clock.Advance(milliseconds(60));
  ASSERT_EQ(q->Len(), 1u);
  EXPECT_EQ(q->Get(), Key("second"));
  q->AddAfter(Key("third"), seconds(2));
  clock.Advance(seconds(1));
  ASSERT_EQ(q->Len(), 1u);
  EXPECT_EQ(q->Get(), Key("first"));
  clock.Advance(seconds(2));
  ASSERT_EQ(q->Len(), 1u);
  EXPECT_EQ(q->Get(), Key("third"));
}

// delaying_queue_test.go TestCopyShifting: keys due together come out in ready-time order.
TEST(WorkQueueDelayTest, KeysDueTogetherComeOutInReadyTimeOrder) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->AddAfter(Key("first"), seconds(1));
  q->AddAfter(Key("second"), milliseconds(500));
  q->AddAfter(Key("third"), milliseconds(250));
  EXPECT_EQ(q->NumDelayed(), 3u);
  clock.Advance(seconds(2));
  ASSERT_EQ(q->Len(), 3u);
  EXPECT_EQ(q->Get(), Key("third"));
  EXPECT_EQ(q->Get(), Key("second"));
  EXPECT_EQ(q->Get(), Key("first"));
}

TEST(WorkQueueDelayTest, ShutDownDropsDelayedKeys) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock);
  q->AddAfter(Key("foo"), milliseconds(10));
  q->ShutDown();
  q->AddAfter(Key("bar"), milliseconds(10));
  clock.Advance(seconds(1));
  EXPECT_EQ(q->Len(), 0u);
  EXPECT_EQ(q->Get(), std::nullopt);
}

TEST(WorkQueueDelayTest, RealClockDelayElapses) {
  SystemClock clock;
  WorkQueue q(clock, std::make_unique<ItemExponentialRateLimiter>());
  const auto start = std::chrono::steady_clock::now();
  q.AddAfter(Key("foo"), milliseconds(20));
  EXPECT_EQ(q.Get(), Key("foo"));  // blocks until the delaying thread moves it
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(20));
}

// rate_limiting_queue_test.go TestRateLimitingQueue.
TEST(WorkQueueRateLimitTest, AddRateLimitedBacksOffPerKey) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock, milliseconds(1), seconds(1));
  q->AddRateLimited(Key("one"));  // due in 1 ms
  q->AddRateLimited(Key("one"));  // 2 ms; the earlier 1 ms stays
  q->AddRateLimited(Key("two"));  // 1 ms
  q->AddRateLimited(Key("two"));  // 2 ms
  EXPECT_EQ(q->NumRequeues(Key("one")), 2);
  EXPECT_EQ(q->NumRequeues(Key("two")), 2);
  EXPECT_EQ(q->NumDelayed(), 2u);

  q->Forget(Key("one"));
  EXPECT_EQ(q->NumRequeues(Key("one")), 0);
  q->AddRateLimited(Key("one"));
  EXPECT_EQ(q->NumRequeues(Key("one")), 1);

  clock.Advance(milliseconds(1));
  EXPECT_EQ(q->Len(), 2u);
}

TEST(WorkQueueRateLimitTest, BackoffGrowsAcrossFailedAttempts) {
  fakes::FakeClock clock;
  auto q = NewQueue(clock, milliseconds(5), seconds(1));
  // Each failed attempt waits twice as long: 5, 10, 20 ms.
  for (const milliseconds wait : {milliseconds(5), milliseconds(10), milliseconds(20)}) {
    q->AddRateLimited(Key("k"));
    clock.Advance(wait - milliseconds(1));
    EXPECT_EQ(q->Len(), 0u) << "after " << wait.count() - 1 << " ms";
    clock.Advance(milliseconds(1));
    ASSERT_EQ(q->Len(), 1u) << "after " << wait.count() << " ms";
    q->Done(*q->Get());
  }
}

TEST(ClockWaiterTest, FakeClockAdvanceWakesAWaiterWithoutRealTime) {
  fakes::FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::optional<bool> result;
  {
    ClockWaiter waiter(clock, mu, cv);
    const auto deadline = clock.SteadyNow() + std::chrono::hours(1);
    std::thread t([&] {
      std::unique_lock<std::mutex> lock(mu);
      const bool pred = waiter.WaitUntil(lock, deadline, [] { return false; });
      result = pred;
    });
    clock.Advance(std::chrono::minutes(30));
    clock.Advance(std::chrono::minutes(30));  // reaches the deadline: the wait ends
    t.join();
  }
  EXPECT_EQ(result, false);
}

}  // namespace
}  // namespace tenantdb::runtime
