#include "runtime/rate_limiter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "fakes/fake_clock.h"

// client-go default_rate_limiters_test.go, written anew.

namespace tenantdb::runtime {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

const ObjectKey kOne{"ns", "one"};
const ObjectKey kTwo{"ns", "two"};

TEST(ItemExponentialRateLimiterTest, DoublesFromTheBasePerKey) {
  ItemExponentialRateLimiter limiter(milliseconds(1), seconds(1));
  EXPECT_EQ(limiter.When(kOne), milliseconds(1));
  EXPECT_EQ(limiter.When(kOne), milliseconds(2));
  EXPECT_EQ(limiter.When(kOne), milliseconds(4));
  EXPECT_EQ(limiter.When(kOne), milliseconds(8));
  EXPECT_EQ(limiter.When(kOne), milliseconds(16));
  EXPECT_EQ(limiter.NumRequeues(kOne), 5);

  EXPECT_EQ(limiter.When(kTwo), milliseconds(1));
  EXPECT_EQ(limiter.When(kTwo), milliseconds(2));
  EXPECT_EQ(limiter.NumRequeues(kTwo), 2);

  limiter.Forget(kOne);
  EXPECT_EQ(limiter.NumRequeues(kOne), 0);
  EXPECT_EQ(limiter.When(kOne), milliseconds(1));
}

TEST(ItemExponentialRateLimiterTest, DefaultSequenceIsCappedAtFiveMinutes) {
  ItemExponentialRateLimiter limiter;  // 5 ms base, 5 min cap
  std::vector<nanoseconds> got;
  for (int i = 0; i < 20; ++i) {
    got.push_back(limiter.When(kOne));
  }
  const std::vector<nanoseconds> want = {
      milliseconds(5),     milliseconds(10),    milliseconds(20),    milliseconds(40),
      milliseconds(80),    milliseconds(160),   milliseconds(320),   milliseconds(640),
      milliseconds(1280),  milliseconds(2560),  milliseconds(5120),  milliseconds(10240),
      milliseconds(20480), milliseconds(40960), milliseconds(81920), milliseconds(163840),
      minutes(5),          minutes(5),          minutes(5),          minutes(5)};
  EXPECT_EQ(got, want);
}

TEST(ItemExponentialRateLimiterTest, LargeExponentsSaturateAtTheCap) {
  ItemExponentialRateLimiter limiter(milliseconds(1), seconds(1000));
  for (int i = 0; i < 5; ++i) {
    (void)limiter.When(kOne);
  }
  EXPECT_EQ(limiter.When(kOne), milliseconds(32));
  for (int i = 0; i < 1000; ++i) {
    (void)limiter.When(kTwo);
  }
  EXPECT_EQ(limiter.When(kTwo), seconds(1000));

  ItemExponentialRateLimiter slow(minutes(1), hours(1000));
  (void)slow.When(kOne);
  (void)slow.When(kOne);
  EXPECT_EQ(slow.When(kOne), minutes(4));
  for (int i = 0; i < 1000; ++i) {
    (void)slow.When(kTwo);
  }
  EXPECT_EQ(slow.When(kTwo), hours(1000));
}

TEST(TokenBucketRateLimiterTest, BurstThenOneTokenPerTenthOfASecond) {
  fakes::FakeClock clock;
  TokenBucketRateLimiter limiter(clock, 10, 100);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(limiter.When(kOne), nanoseconds::zero()) << "call " << i;
  }
  // Reservations queue up behind each other.
  EXPECT_EQ(limiter.When(kOne), milliseconds(100));
  EXPECT_EQ(limiter.When(kTwo), milliseconds(200));
  EXPECT_EQ(limiter.NumRequeues(kOne), 0);
  clock.Advance(seconds(1));  // +10 tokens pays the debt of 2
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(limiter.When(kOne), nanoseconds::zero()) << "call " << i;
  }
  EXPECT_EQ(limiter.When(kOne), milliseconds(100));
}

TEST(TokenBucketTest, AllowNeverGoesIntoDebt) {
  fakes::FakeClock clock;
  TokenBucket bucket(clock, 1.0 / 300, 2);  // one token per 5 minutes
  EXPECT_TRUE(bucket.Allow());
  EXPECT_TRUE(bucket.Allow());
  EXPECT_FALSE(bucket.Allow());
  clock.Advance(minutes(4));
  EXPECT_FALSE(bucket.Allow());
  clock.Advance(minutes(1));
  EXPECT_TRUE(bucket.Allow());
  EXPECT_FALSE(bucket.Allow());
  clock.Advance(hours(10));  // refills up to the burst only
  EXPECT_TRUE(bucket.Allow());
  EXPECT_TRUE(bucket.Allow());
  EXPECT_FALSE(bucket.Allow());
}

TEST(MaxOfRateLimiterTest, TakesTheLongestDelay) {
  std::vector<std::unique_ptr<RateLimiter>> limiters;
  limiters.push_back(std::make_unique<ItemExponentialRateLimiter>(milliseconds(1), seconds(1)));
  limiters.push_back(
      std::make_unique<ItemExponentialRateLimiter>(milliseconds(3), milliseconds(3)));
  MaxOfRateLimiter limiter(std::move(limiters));
  EXPECT_EQ(limiter.When(kOne), milliseconds(3));
  EXPECT_EQ(limiter.When(kOne), milliseconds(3));
  EXPECT_EQ(limiter.When(kOne), milliseconds(4));
  EXPECT_EQ(limiter.When(kOne), milliseconds(8));
  EXPECT_EQ(limiter.NumRequeues(kOne), 4);
  limiter.Forget(kOne);
  EXPECT_EQ(limiter.NumRequeues(kOne), 0);
  EXPECT_EQ(limiter.When(kOne), milliseconds(3));
}

TEST(ControllerRateLimiterTest, CombinesPerKeyBackoffWithTheOverallBucket) {
  fakes::FakeClock clock;
  auto limiter = MakeControllerRateLimiter(
      clock, {.base_delay = milliseconds(5), .max_delay = minutes(5), .qps = 10, .burst = 2});
  EXPECT_EQ(limiter->When(kOne), milliseconds(5));
  EXPECT_EQ(limiter->When(kOne), milliseconds(10));
  EXPECT_EQ(limiter->When(kTwo), milliseconds(100));  // bucket exhausted: 100 ms > 5 ms
  EXPECT_EQ(limiter->NumRequeues(kOne), 2);
}

}  // namespace
}  // namespace tenantdb::runtime
