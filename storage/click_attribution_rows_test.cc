#include "storage/click_attribution_rows.h"

#include <gtest/gtest.h>

#include <string>

#include "proto/affonso/v1/clicks.pb.h"
#include "proto/affonso/v1/tracking.pb.h"
#include "storage/json_rows.h"

namespace affonso::storage {
namespace {

template <typename Click>
std::string RowOf(const Click& click) {
  JsonRows rows;
  rows.BeginRow();
  AddClickAttribution(click, rows);
  rows.EndRow();
  return std::move(rows).Finish();
}

TEST(ClickAttributionRowsTest, EveryFieldUnderItsColumnsName) {
  affonso::v1::TrackClickRequest click;
  click.set_sub1("a");
  click.set_sub2("b");
  click.set_sub3("c");
  click.set_sub4("d");
  click.set_sub5("e");
  click.set_referrer("f");
  click.set_utm_source("g");
  click.set_utm_medium("h");
  click.set_utm_campaign("i");
  click.set_utm_term("j");
  click.set_utm_content("k");
  click.set_gclid("l");
  click.set_fbclid("m");
  click.set_msclkid("n");
  click.set_ttclid("o");
  click.set_ip("10.0.0.1");  // the caller's to write
  EXPECT_EQ(RowOf(click),
            "[{\"sub1\":\"a\",\"sub2\":\"b\",\"sub3\":\"c\",\"sub4\":\"d\",\"sub5\":\"e\","
            "\"referrer\":\"f\",\"utm_source\":\"g\",\"utm_medium\":\"h\",\"utm_campaign\":\"i\","
            "\"utm_term\":\"j\",\"utm_content\":\"k\",\"gclid\":\"l\",\"fbclid\":\"m\","
            "\"msclkid\":\"n\",\"ttclid\":\"o\"}]");
}

TEST(ClickAttributionRowsTest, ThePixelsRequestTooAndEmptyFieldsLeftOut) {
  affonso::v1::TrackRequest click;
  click.set_utm_source("newsletter");
  EXPECT_EQ(RowOf(click), "[{\"utm_source\":\"newsletter\"}]");
}

}  // namespace
}  // namespace affonso::storage
