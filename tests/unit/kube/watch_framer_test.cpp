#include "kube/watch_framer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tenantdb::kube {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> FeedAll(WatchFramer& framer, const std::vector<std::string>& chunks) {
  std::vector<std::string> lines;
  for (const std::string& chunk : chunks) {
    for (std::string& line : framer.Feed(chunk)) {
      lines.push_back(std::move(line));
    }
  }
  return lines;
}

TEST(WatchFramerTest, SeveralLinesInOneChunk) {
  WatchFramer framer;
  EXPECT_THAT(framer.Feed("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n"),
              ElementsAre("{\"a\":1}", "{\"b\":2}", "{\"c\":3}"));
  EXPECT_EQ(framer.BufferedBytes(), 0u);
}

TEST(WatchFramerTest, LineSplitAcrossManyChunks) {
  WatchFramer framer;
  const std::string line = R"({"type":"ADDED","object":{"metadata":{"name":"x"}}})";
  std::vector<std::string> chunks;
  for (const char c : line + "\n") {
    chunks.emplace_back(1, c);  // one byte per chunk
  }
  EXPECT_THAT(FeedAll(framer, chunks), ElementsAre(line));
}

TEST(WatchFramerTest, SplitAtEveryPositionOfTwoLines) {
  const std::string body = "{\"first\":true}\r\n{\"second\":true}\n";
  for (std::size_t i = 0; i <= body.size(); ++i) {
    for (std::size_t j = i; j <= body.size(); ++j) {
      WatchFramer framer;
      const auto lines =
          FeedAll(framer, {body.substr(0, i), body.substr(i, j - i), body.substr(j)});
      EXPECT_THAT(lines, ElementsAre("{\"first\":true}", "{\"second\":true}"))
          << "split at " << i << " and " << j;
    }
  }
}

TEST(WatchFramerTest, CarriageReturnIsDroppedAndBlankLinesSkipped) {
  WatchFramer framer;
  EXPECT_THAT(framer.Feed("{\"a\":1}\r\n\r\n\n  \n{\"b\":2}\r\n"),
              ElementsAre("{\"a\":1}", "{\"b\":2}"));
}

TEST(WatchFramerTest, CarriageReturnSplitFromItsNewline) {
  WatchFramer framer;
  EXPECT_THAT(framer.Feed("{\"a\":1}\r"), IsEmpty());
  EXPECT_THAT(framer.Feed("\n"), ElementsAre("{\"a\":1}"));
}

TEST(WatchFramerTest, TrailingPartialLineIsKeptUntilMoreBytes) {
  WatchFramer framer;
  EXPECT_THAT(framer.Feed("{\"a\":1}\n{\"b\""), ElementsAre("{\"a\":1}"));
  EXPECT_EQ(framer.BufferedBytes(), 4u);
  EXPECT_THAT(framer.Feed(":2}"), IsEmpty());
  EXPECT_THAT(framer.Feed("\n"), ElementsAre("{\"b\":2}"));
}

TEST(WatchFramerTest, FinishReturnsTheUnterminatedLastLine) {
  WatchFramer framer;
  EXPECT_THAT(framer.Feed("{\"a\":1}\n{\"b\":2}"), ElementsAre("{\"a\":1}"));
  EXPECT_EQ(framer.Finish(), std::optional<std::string>("{\"b\":2}"));
  EXPECT_EQ(framer.Finish(), std::nullopt);
  EXPECT_EQ(framer.BufferedBytes(), 0u);
}

TEST(WatchFramerTest, ResetDropsPartialLine) {
  WatchFramer framer;
  EXPECT_THAT(framer.Feed("{\"half"), IsEmpty());
  framer.Reset();
  EXPECT_THAT(framer.Feed("{\"a\":1}\n"), ElementsAre("{\"a\":1}"));
}

TEST(WatchFramerTest, OverlongLineIsDroppedAndCounted) {
  WatchFramer framer(/*max_line_bytes=*/8);
  EXPECT_THAT(framer.Feed("0123"), IsEmpty());
  EXPECT_THAT(framer.Feed("456789"), IsEmpty());  // now over the limit: dropped
  EXPECT_EQ(framer.BufferedBytes(), 0u);
  EXPECT_THAT(framer.Feed("abc\n{\"a\":1}\n"), ElementsAre("{\"a\":1}"));
  EXPECT_THAT(framer.Feed("0123456789abc\nok\n"), ElementsAre("ok"));
  EXPECT_EQ(framer.DroppedLines(), 2u);
}

}  // namespace
}  // namespace tenantdb::kube
