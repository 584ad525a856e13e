#include "storage/pg_referral_store.h"

#include <algorithm>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using affonso::v1::CreateReferralRequest;
using affonso::v1::ListReferralsRequest;
using affonso::v1::ListReferralsResponse;
using affonso::v1::Referral;
using affonso::v1::UpdateReferralRequest;

constexpr int64_t kBase = 1700000000;

google::protobuf::Timestamp At(int64_t seconds) {
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  return timestamp;
}

class PgReferralStoreTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgReferralStore>(&db_->pool(), &accept_all_);
  }

  CreateReferralRequest For(const testing::Tenant& tenant, const std::string& email) {
    CreateReferralRequest request;
    request.set_affiliate_id(tenant.affiliate_id);
    request.set_email(email);
    return request;
  }

  Referral MustCreate(const CreateReferralRequest& request, const testing::Tenant& tenant) {
    auto referral = store_->CreateReferral(tenant.team_id, request);
    EXPECT_OK(referral);
    return referral.ok() ? *referral : Referral();
  }

  // A second affiliate of the tenant's program, by plain SQL.
  std::string InsertAffiliate(const testing::Tenant& tenant) {
    std::string id = NewId("aff");
    db_->QueryValue(
        absl::StrCat("INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
                     "partnership_status) VALUES ('",
                     id, "', '", tenant.team_id, "', '", tenant.program_id,
                     "', 'Bea', 'bea@affiliate.test', '", id, "', 'approved')"));
    return id;
  }

  // A referral converted from a click, as RecordSignup leaves it.
  std::string InsertClickReferral(const testing::Tenant& tenant, const std::string& email) {
    std::string click = testing::InsertClick(*db_, tenant);
    db_->QueryValue(absl::StrCat(
        "INSERT INTO referrals (id, team_id, program_id, affiliate_id, click_id, source, email, "
        "status) VALUES ('",
        click, "', '", tenant.team_id, "', '", tenant.program_id, "', '", tenant.affiliate_id,
        "', '", click, "', 'click', '", email, "', 'lead')"));
    return click;
  }

  std::string Column(const std::string& id, const std::string& expression) {
    return db_->QueryValue(
        absl::StrCat("SELECT ", expression, " FROM referrals WHERE id = '", id, "'"));
  }

  AcceptAllPolicy accept_all_;
  std::unique_ptr<PgReferralStore> store_;
};

TEST_F(PgReferralStoreTest, CreateThenGetRoundTrip) {
  CreateReferralRequest request = For(a_, "Carol@Example.com");
  request.set_name("Carol");
  request.set_customer_id("cus_1");
  request.set_subscription_id("sub_1");
  request.set_external_user_id("user-1");
  (*request.mutable_metadata()->mutable_fields())["plan"].set_string_value("pro");
  Referral created = MustCreate(request, a_);
  EXPECT_EQ(created.id().rfind("ref_", 0), 0u);
  EXPECT_EQ(created.affiliate_id(), a_.affiliate_id);
  EXPECT_EQ(created.program_id(), a_.program_id);
  EXPECT_EQ(created.email(), "Carol@Example.com");
  EXPECT_EQ(created.name(), "Carol");
  EXPECT_EQ(created.customer_id(), "cus_1");
  EXPECT_EQ(created.subscription_id(), "sub_1");
  EXPECT_EQ(created.external_user_id(), "user-1");
  EXPECT_EQ(created.status(), affonso::v1::REFERRAL_STATUS_LEAD);
  EXPECT_EQ(created.metadata().fields().at("plan").string_value(), "pro");
  EXPECT_FALSE(created.has_converted_at());
  EXPECT_NEAR(created.created_at().seconds(), absl::ToUnixSeconds(absl::Now()), 60);
  EXPECT_EQ(Column(created.id(), "source || coalesce(click_id, '-')"), "direct-");

  auto got = store_->GetReferral(a_.team_id, created.id());
  ASSERT_OK(got);
  EXPECT_EQ(got->SerializeAsString(), created.SerializeAsString());
  EXPECT_THAT(store_->GetReferral(a_.team_id, "ref_missing"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgReferralStoreTest, ConvertedStatusOnCreateStampsConvertedAtWithCreatedAt) {
  CreateReferralRequest request = For(a_, "dan@example.com");
  request.set_status(affonso::v1::REFERRAL_STATUS_CUSTOMER);
  *request.mutable_created_at() = At(kBase);
  Referral created = MustCreate(request, a_);
  EXPECT_EQ(created.status(), affonso::v1::REFERRAL_STATUS_CUSTOMER);
  EXPECT_EQ(created.created_at().seconds(), kBase);
  EXPECT_EQ(created.converted_at().seconds(), kBase);
}

TEST_F(PgReferralStoreTest, DuplicateEmailIsCaseInsensitiveAndPerProgram) {
  MustCreate(For(a_, "erin@example.com"), a_);
  auto again = store_->CreateReferral(a_.team_id, For(a_, "ERIN@Example.COM"));
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(again, HasApiError("DUPLICATE_ERROR", "email"));
  // Another affiliate of the same program: still the same program.
  CreateReferralRequest other_affiliate = For(a_, "erin@example.com");
  other_affiliate.set_affiliate_id(InsertAffiliate(a_));
  EXPECT_EQ(ApiErrorField(store_->CreateReferral(a_.team_id, other_affiliate).status()), "email");
  // Another team's program is another program.
  MustCreate(For(b_, "erin@example.com"), b_);
}

TEST_F(PgReferralStoreTest, DuplicateEmailAgainstAClickConvertedReferral) {
  InsertClickReferral(a_, "Frank@Example.com");
  auto created = store_->CreateReferral(a_.team_id, For(a_, "frank@example.com"));
  EXPECT_THAT(created, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(ApiErrorField(created.status()), "email");
}

// The loser of a race passes the NOT EXISTS (the winner has not committed),
// then waits on a unique index; the violation must still name the field.
absl::Status CreateWhileAnotherInsertIsUncommitted(testing::TestDatabase& db, ReferralStore& store,
                                                   const std::string& team_id,
                                                   const std::string& winner_insert,
                                                   const CreateReferralRequest& request) {
  pqxx::connection conn(db.url());
  pqxx::work winner(conn);
  winner.exec(winner_insert);
  absl::Status loser;
  std::thread racer([&] { loser = store.CreateReferral(team_id, request).status(); });
  absl::SleepFor(absl::Milliseconds(300));  // let the racer block on the index
  winner.commit();
  racer.join();
  return loser;
}

TEST_F(PgReferralStoreTest, RaceLostOnTheEmailIndexIsDuplicateEmail) {
  const std::string insert = absl::StrCat(
      "INSERT INTO referrals (id, team_id, program_id, affiliate_id, source, email, status) "
      "VALUES ('ref_winner', '",
      a_.team_id, "', '", a_.program_id, "', '", a_.affiliate_id,
      "', 'direct', 'Gina@example.com', 'lead')");
  absl::Status loser = CreateWhileAnotherInsertIsUncommitted(*db_, *store_, a_.team_id, insert,
                                                             For(a_, "gina@example.com"));
  EXPECT_THAT(loser, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(ApiErrorField(loser), "email");
}

TEST_F(PgReferralStoreTest, RaceLostOnTheClickIsDuplicateClickId) {
  std::string click = testing::InsertClick(*db_, a_);
  const std::string insert = absl::StrCat(
      "INSERT INTO referrals (id, team_id, program_id, affiliate_id, click_id, source, email, "
      "status) VALUES ('ref_winner', '",
      a_.team_id, "', '", a_.program_id, "', '", a_.affiliate_id, "', '", click,
      "', 'direct', 'winner@example.com', 'lead')");
  CreateReferralRequest request = For(a_, "loser@example.com");
  request.set_click_id(click);
  absl::Status loser =
      CreateWhileAnotherInsertIsUncommitted(*db_, *store_, a_.team_id, insert, request);
  EXPECT_THAT(loser, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(ApiErrorField(loser), "click_id");
}

TEST_F(PgReferralStoreTest, AffiliateMustBeTheTeamsAndLive) {
  auto other_team = store_->CreateReferral(a_.team_id, For(b_, "hal@example.com"));
  EXPECT_THAT(other_team, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(ApiErrorCode(other_team.status()), "NOT_FOUND");
  EXPECT_THAT(store_->CreateReferral(a_.team_id, For(a_, "hal@example.com")),
              StatusIs(absl::StatusCode::kOk));
  db_->QueryValue("UPDATE affiliates SET deleted_at = now() WHERE id = '" + a_.affiliate_id + "'");
  EXPECT_THAT(store_->CreateReferral(a_.team_id, For(a_, "ian@example.com")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), "1");
}

TEST_F(PgReferralStoreTest, ClickMustBeTheTeamsAndIsStoredButNotReusedAsId) {
  std::string own_click = testing::InsertClick(*db_, a_);
  std::string other_click = testing::InsertClick(*db_, b_);

  CreateReferralRequest foreign = For(a_, "jo@example.com");
  foreign.set_click_id(other_click);
  EXPECT_THAT(store_->CreateReferral(a_.team_id, foreign), StatusIs(absl::StatusCode::kNotFound));
  CreateReferralRequest unknown = For(a_, "jo@example.com");
  unknown.set_click_id("clk_unknown");
  EXPECT_THAT(store_->CreateReferral(a_.team_id, unknown), StatusIs(absl::StatusCode::kNotFound));

  CreateReferralRequest own = For(a_, "jo@example.com");
  own.set_click_id(own_click);
  Referral created = MustCreate(own, a_);
  EXPECT_EQ(created.id().rfind("ref_", 0), 0u);
  EXPECT_EQ(Column(created.id(), "click_id || ' ' || source"), own_click + " direct");

  // The click now has its referral: a second one is a duplicate on click_id.
  CreateReferralRequest reuse = For(a_, "kim@example.com");
  reuse.set_click_id(own_click);
  auto again = store_->CreateReferral(a_.team_id, reuse);
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(ApiErrorField(again.status()), "click_id");

  // Likewise for a click that was converted by a signup.
  CreateReferralRequest converted = For(a_, "lee@example.com");
  converted.set_click_id(InsertClickReferral(a_, "someone@example.com"));
  EXPECT_EQ(ApiErrorField(store_->CreateReferral(a_.team_id, converted).status()), "click_id");
}

TEST_F(PgReferralStoreTest, TrackNameOffDropsTheNameButKeepsTheEmail) {
  testing::SetTracking(*db_, a_, /*track_email=*/false, /*track_name=*/false);
  CreateReferralRequest request = For(a_, "mia@example.com");
  request.set_name("Mia");
  Referral created = MustCreate(request, a_);
  EXPECT_EQ(created.name(), "");
  EXPECT_EQ(created.email(), "mia@example.com");
  EXPECT_EQ(Column(created.id(), "name IS NULL"), "t");

  UpdateReferralRequest update;
  update.set_id(created.id());
  update.set_name("Mia");
  auto updated = store_->UpdateReferral(a_.team_id, update);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->name(), "");
}

TEST_F(PgReferralStoreTest, MissingTrackingSettingsMeanTrackEverything) {
  db_->QueryValue("DELETE FROM program_tracking_settings WHERE program_id = '" + a_.program_id +
                  "'");
  CreateReferralRequest request = For(a_, "ned@example.com");
  request.set_name("Ned");
  EXPECT_EQ(MustCreate(request, a_).name(), "Ned");
}

TEST_F(PgReferralStoreTest, PartialUpdateChangesOnlyPresentFields) {
  CreateReferralRequest request = For(a_, "olga@example.com");
  request.set_name("Olga");
  request.set_customer_id("cus_1");
  request.set_subscription_id("sub_1");
  (*request.mutable_metadata()->mutable_fields())["a"].set_number_value(1);
  Referral created = MustCreate(request, a_);

  UpdateReferralRequest update;
  update.set_id(created.id());
  update.set_customer_id("cus_2");
  auto updated = store_->UpdateReferral(a_.team_id, update);
  ASSERT_OK(updated);
  Referral expected = created;
  expected.set_customer_id("cus_2");
  EXPECT_EQ(updated->SerializeAsString(), expected.SerializeAsString());

  // Metadata present replaces the whole object; "" clears an optional field.
  UpdateReferralRequest replace;
  replace.set_id(created.id());
  (*replace.mutable_metadata()->mutable_fields())["b"].set_bool_value(true);
  replace.set_subscription_id("");
  replace.set_email("Olga.New@example.com");
  replace.set_name("Olga N");
  updated = store_->UpdateReferral(a_.team_id, replace);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->metadata().fields().size(), 1);
  EXPECT_TRUE(updated->metadata().fields().at("b").bool_value());
  EXPECT_EQ(updated->subscription_id(), "");
  EXPECT_EQ(Column(created.id(), "subscription_id IS NULL"), "t");
  EXPECT_EQ(updated->email(), "Olga.New@example.com");
  EXPECT_EQ(updated->name(), "Olga N");
  EXPECT_EQ(updated->customer_id(), "cus_2");
  EXPECT_EQ(Column(created.id(), "updated_at > created_at"), "t");

  // An empty update is a no-op that still answers with the referral.
  UpdateReferralRequest nothing;
  nothing.set_id(created.id());
  auto same = store_->UpdateReferral(a_.team_id, nothing);
  ASSERT_OK(same);
  EXPECT_EQ(same->SerializeAsString(), updated->SerializeAsString());
}

TEST_F(PgReferralStoreTest, ConvertedAtIsStampedOnceWhenTheStatusLeavesLead) {
  Referral created = MustCreate(For(a_, "pia@example.com"), a_);
  UpdateReferralRequest update;
  update.set_id(created.id());
  update.set_name("still a lead");
  auto lead = store_->UpdateReferral(a_.team_id, update);
  ASSERT_OK(lead);
  EXPECT_FALSE(lead->has_converted_at());

  // A backdated stamp proves later updates keep it rather than re-stamp.
  update.clear_name();
  update.set_status(affonso::v1::REFERRAL_STATUS_TRIALING);
  auto trialing = store_->UpdateReferral(a_.team_id, update);
  ASSERT_OK(trialing);
  EXPECT_TRUE(trialing->has_converted_at());
  EXPECT_NEAR(trialing->converted_at().seconds(), absl::ToUnixSeconds(absl::Now()), 60);
  db_->QueryValue("UPDATE referrals SET converted_at = to_timestamp(" + std::to_string(kBase) +
                  ") WHERE id = '" + created.id() + "'");

  for (auto status : {affonso::v1::REFERRAL_STATUS_ACTIVE, affonso::v1::REFERRAL_STATUS_LEAD,
                      affonso::v1::REFERRAL_STATUS_CANCELED}) {
    update.set_status(status);
    auto next = store_->UpdateReferral(a_.team_id, update);
    ASSERT_OK(next);
    EXPECT_EQ(next->status(), status);
    EXPECT_EQ(next->converted_at().seconds(), kBase);
  }
}

TEST_F(PgReferralStoreTest, UpdatedEmailMayNotCollideWithAnotherDirectReferral) {
  Referral quinn = MustCreate(For(a_, "quinn@example.com"), a_);
  Referral rita = MustCreate(For(a_, "rita@example.com"), a_);
  std::string click_referral = InsertClickReferral(a_, "sam@example.com");
  UpdateReferralRequest update;
  update.set_id(rita.id());
  update.set_email("QUINN@example.com");
  auto taken = store_->UpdateReferral(a_.team_id, update);
  EXPECT_THAT(taken, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(ApiErrorField(taken.status()), "email");
  // A click-converted referral is held to the same rule.
  update.set_id(click_referral);
  EXPECT_EQ(ApiErrorField(store_->UpdateReferral(a_.team_id, update).status()), "email");
  // Changing the case of one's own email is no collision.
  update.set_id(quinn.id());
  auto own = store_->UpdateReferral(a_.team_id, update);
  ASSERT_OK(own);
  EXPECT_EQ(own->email(), "QUINN@example.com");
}

TEST_F(PgReferralStoreTest, OtherTeamsReferralsAreInvisible) {
  Referral theirs = MustCreate(For(b_, "tom@example.com"), b_);
  MustCreate(For(a_, "uma@example.com"), a_);

  EXPECT_THAT(store_->GetReferral(a_.team_id, theirs.id()), StatusIs(absl::StatusCode::kNotFound));
  UpdateReferralRequest update;
  update.set_id(theirs.id());
  update.set_status(affonso::v1::REFERRAL_STATUS_ACTIVE);
  update.set_email("uma@example.com");
  EXPECT_THAT(store_->UpdateReferral(a_.team_id, update), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Column(theirs.id(), "status || email"), "leadtom@example.com");

  auto page = store_->ListReferrals(a_.team_id, ListReferralsRequest());
  ASSERT_OK(page);
  ASSERT_EQ(page->data_size(), 1);
  EXPECT_EQ(page->data(0).email(), "uma@example.com");

  // Another team's referral is no cursor either.
  ListReferralsRequest cursor;
  cursor.set_starting_after(theirs.id());
  auto refused = store_->ListReferrals(a_.team_id, cursor);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ApiErrorField(refused.status()), "starting_after");
}

class PgReferralListTest : public PgReferralStoreTest {
 protected:
  void SetUp() override {
    PgReferralStoreTest::SetUp();
    // 25 referrals, two per second, so created_at ties are broken by id.
    for (int i = 0; i < 25; ++i) {
      CreateReferralRequest request = For(a_, absl::StrCat("r", i, "@example.com"));
      *request.mutable_created_at() = At(kBase + i / 2);
      MustCreate(request, a_);
    }
    // The database's own order: ids tie-break under its collation.
    ascending_ = absl::StrSplit(
        db_->QueryValue(absl::StrCat("SELECT string_agg(id, ',' ORDER BY created_at, id) "
                                     "FROM referrals WHERE team_id = '",
                                     a_.team_id, "'")),
        ',');
    ASSERT_EQ(ascending_.size(), 25u);
    MustCreate(For(b_, "noise@example.com"), b_);
  }

  // Follows cursors from one end to the other; checks has_more on each page.
  std::vector<std::string> Walk(affonso::v1::ListOrder order, bool backward, int limit) {
    std::vector<std::string> seen;
    std::vector<std::vector<std::string>> pages;
    ListReferralsRequest request;
    request.set_order(order);
    request.set_limit(limit);
    const std::vector<std::string> expected = Expected(order);
    if (backward) request.set_ending_before(expected.back());
    for (int guard = 0; guard < 30; ++guard) {
      auto page = store_->ListReferrals(a_.team_id, request);
      EXPECT_OK(page);
      if (!page.ok()) break;
      std::vector<std::string> ids;
      for (const Referral& referral : page->data()) ids.push_back(referral.id());
      EXPECT_LE(static_cast<int>(ids.size()), limit);
      pages.push_back(ids);
      if (!page->has_more()) break;
      EXPECT_EQ(static_cast<int>(ids.size()), limit);
      if (backward) {
        request.set_ending_before(ids.front());
      } else {
        request.set_starting_after(ids.back());
      }
    }
    if (backward) std::reverse(pages.begin(), pages.end());
    for (const auto& ids : pages) seen.insert(seen.end(), ids.begin(), ids.end());
    return seen;
  }

  std::vector<std::string> Expected(affonso::v1::ListOrder order) {
    std::vector<std::string> expected = ascending_;
    if (order != affonso::v1::LIST_ORDER_ASC) std::reverse(expected.begin(), expected.end());
    return expected;
  }

  std::vector<std::string> ascending_;
};

TEST_F(PgReferralListTest, ForwardWalksHaveNoGapsOrDuplicates) {
  for (auto order : {affonso::v1::LIST_ORDER_ASC, affonso::v1::LIST_ORDER_DESC,
                     affonso::v1::LIST_ORDER_UNSPECIFIED}) {
    for (int limit : {1, 7, 25, 100}) {
      EXPECT_EQ(Walk(order, /*backward=*/false, limit), Expected(order))
          << "order " << order << " limit " << limit;
    }
  }
}

TEST_F(PgReferralListTest, BackwardWalksHaveNoGapsOrDuplicates) {
  for (auto order : {affonso::v1::LIST_ORDER_ASC, affonso::v1::LIST_ORDER_DESC}) {
    for (int limit : {1, 7, 24, 100}) {
      std::vector<std::string> expected = Expected(order);
      expected.pop_back();  // the cursor itself
      EXPECT_EQ(Walk(order, /*backward=*/true, limit), expected)
          << "order " << order << " limit " << limit;
    }
  }
}

TEST_F(PgReferralListTest, PagesAroundACursorAndDefaultLimit) {
  ListReferralsRequest request;
  auto first = store_->ListReferrals(a_.team_id, request);
  ASSERT_OK(first);
  EXPECT_EQ(first->data_size(), 10);
  EXPECT_TRUE(first->has_more());
  EXPECT_EQ(first->data(0).id(), ascending_.back());  // newest first by default

  // ending_before the 4th item (ascending) gives the three before it, in order.
  request.set_order(affonso::v1::LIST_ORDER_ASC);
  request.set_ending_before(ascending_[3]);
  auto before = store_->ListReferrals(a_.team_id, request);
  ASSERT_OK(before);
  ASSERT_EQ(before->data_size(), 3);
  EXPECT_FALSE(before->has_more());
  EXPECT_EQ(before->data(0).id(), ascending_[0]);
  EXPECT_EQ(before->data(2).id(), ascending_[2]);

  // The last item as starting_after: an empty last page, not an error.
  request.clear_ending_before();
  request.set_starting_after(ascending_.back());
  auto after = store_->ListReferrals(a_.team_id, request);
  ASSERT_OK(after);
  EXPECT_EQ(after->data_size(), 0);
  EXPECT_FALSE(after->has_more());

  request.set_starting_after("ref_doesnotexist");
  EXPECT_EQ(ApiErrorField(store_->ListReferrals(a_.team_id, request).status()), "starting_after");
  request.clear_starting_after();
  request.set_ending_before("ref_doesnotexist");
  EXPECT_EQ(ApiErrorField(store_->ListReferrals(a_.team_id, request).status()), "ending_before");
}

TEST_F(PgReferralListTest, Filters) {
  std::string other_affiliate = InsertAffiliate(a_);
  CreateReferralRequest by_other = For(a_, "other@example.com");
  by_other.set_affiliate_id(other_affiliate);
  by_other.set_status(affonso::v1::REFERRAL_STATUS_ACTIVE);
  *by_other.mutable_created_at() = At(kBase + 100);
  Referral other = MustCreate(by_other, a_);

  ListReferralsRequest request;
  request.set_limit(100);
  request.set_affiliate_id(other_affiliate);
  auto page = store_->ListReferrals(a_.team_id, request);
  ASSERT_OK(page);
  ASSERT_EQ(page->data_size(), 1);
  EXPECT_EQ(page->data(0).id(), other.id());

  request.clear_affiliate_id();
  request.set_status(affonso::v1::REFERRAL_STATUS_ACTIVE);
  page = store_->ListReferrals(a_.team_id, request);
  ASSERT_OK(page);
  ASSERT_EQ(page->data_size(), 1);
  request.set_status(affonso::v1::REFERRAL_STATUS_LEAD);
  page = store_->ListReferrals(a_.team_id, request);
  ASSERT_OK(page);
  EXPECT_EQ(page->data_size(), 25);

  // Both bounds inclusive: seconds 3..5 hold items 6..11.
  request.clear_status();
  *request.mutable_created_gte() = At(kBase + 3);
  *request.mutable_created_lte() = At(kBase + 5);
  request.set_order(affonso::v1::LIST_ORDER_ASC);
  page = store_->ListReferrals(a_.team_id, request);
  ASSERT_OK(page);
  ASSERT_EQ(page->data_size(), 6);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(page->data(i).id(), ascending_[6 + i]);

  // Filters and cursors combine: the cursor need not match the filters.
  request.set_limit(2);
  request.set_starting_after(ascending_[0]);
  page = store_->ListReferrals(a_.team_id, request);
  ASSERT_OK(page);
  ASSERT_EQ(page->data_size(), 2);
  EXPECT_EQ(page->data(0).id(), ascending_[6]);
  EXPECT_TRUE(page->has_more());
}

TEST_F(PgReferralListTest, ExternalUserIdFilterAndDeletedReferralsAreSkipped) {
  CreateReferralRequest request = For(a_, "ext@example.com");
  request.set_external_user_id("user-42");
  Referral wanted = MustCreate(request, a_);
  ListReferralsRequest list;
  list.set_external_user_id("user-42");
  auto page = store_->ListReferrals(a_.team_id, list);
  ASSERT_OK(page);
  ASSERT_EQ(page->data_size(), 1);
  EXPECT_EQ(page->data(0).id(), wanted.id());
  list.set_external_user_id("user-43");
  page = store_->ListReferrals(a_.team_id, list);
  ASSERT_OK(page);
  EXPECT_EQ(page->data_size(), 0);

  ASSERT_OK(store_->DeleteReferral(a_.team_id, ascending_[3]));
  ListReferralsRequest all;
  all.set_limit(100);
  page = store_->ListReferrals(a_.team_id, all);
  ASSERT_OK(page);
  EXPECT_EQ(page->data_size(), 25);  // 25 + wanted - the deleted one
  for (const Referral& referral : page->data()) EXPECT_NE(referral.id(), ascending_[3]);
}

// The SDK's `T | null` fields are unset (rendered null) when nothing is
// stored, and set (even to "") when something is.
TEST_F(PgReferralStoreTest, NullableFieldsAreUnsetUntilStored) {
  Referral bare = MustCreate(For(a_, "bare@example.com"), a_);
  EXPECT_TRUE(bare.has_email());
  EXPECT_FALSE(bare.has_customer_id());
  EXPECT_FALSE(bare.has_subscription_id());
  EXPECT_FALSE(bare.has_external_user_id());
  EXPECT_FALSE(bare.has_name());
  EXPECT_FALSE(bare.has_converted_at());
  EXPECT_FALSE(bare.has_affiliate());
  EXPECT_FALSE(bare.has_stats());

  UpdateReferralRequest update;
  update.set_id(bare.id());
  update.set_customer_id("cus_9");
  update.set_status(affonso::v1::REFERRAL_STATUS_CUSTOMER);
  auto converted = store_->UpdateReferral(a_.team_id, update);
  ASSERT_OK(converted);
  EXPECT_EQ(converted->customer_id(), "cus_9");
  EXPECT_TRUE(converted->has_converted_at());
  // "" clears back to null.
  update.Clear();
  update.set_id(bare.id());
  update.set_customer_id("");
  converted = store_->UpdateReferral(a_.team_id, update);
  ASSERT_OK(converted);
  EXPECT_FALSE(converted->has_customer_id());

  // A click-converted referral without an email has none either.
  const std::string click = testing::InsertClick(*db_, a_);
  db_->QueryValue(absl::StrCat(
      "INSERT INTO referrals (id, team_id, program_id, affiliate_id, click_id, source, "
      "external_user_id, status) VALUES ('",
      click, "', '", a_.team_id, "', '", a_.program_id, "', '", a_.affiliate_id, "', '", click,
      "', 'click', 'u-1', 'lead')"));
  auto from_click = store_->GetReferral(a_.team_id, click);
  ASSERT_OK(from_click);
  EXPECT_FALSE(from_click->has_email());
  EXPECT_EQ(from_click->external_user_id(), "u-1");
}

// Every update announces itself; the one that converts a lead announces the
// conversion too, once.
TEST_F(PgReferralStoreTest, UpdatesWriteReferralUpdatedAndTheConversionOnce) {
  Referral lead = MustCreate(For(a_, "conv@example.com"), a_);
  auto events = [&] {
    return db_->QueryValue(
        absl::StrCat("SELECT COALESCE(string_agg(type || ':' || (payload->'data'->>'status'), ',' "
                     "ORDER BY created_at, type), '') FROM outbox_events "
                     "WHERE type <> 'referral.lead' AND payload->'data'->>'referralId' = '",
                     lead.id(), "'"));
  };
  UpdateReferralRequest update;
  update.set_id(lead.id());
  update.set_name("Conny");
  ASSERT_OK(store_->UpdateReferral(a_.team_id, update));
  EXPECT_EQ(events(), "referral.updated:LEAD");
  update.set_status(affonso::v1::REFERRAL_STATUS_CUSTOMER);
  ASSERT_OK(store_->UpdateReferral(a_.team_id, update));
  update.set_status(affonso::v1::REFERRAL_STATUS_ACTIVE);
  ASSERT_OK(store_->UpdateReferral(a_.team_id, update));
  EXPECT_EQ(events(),
            "referral.updated:LEAD,referral.converted:CUSTOMER,referral.updated:CUSTOMER,"
            "referral.updated:ACTIVE");
  EXPECT_EQ(db_->QueryValue(absl::StrCat(
                "SELECT (payload->'data'->>'email') || '/' || (payload->'data'->>'trackingId') "
                "FROM outbox_events WHERE type = 'referral.converted' AND "
                "payload->'data'->>'referralId' = '",
                lead.id(), "'")),
            absl::StrCat("conv@example.com/", a_.tracking_id));

  // A refused update writes nothing.
  UpdateReferralRequest foreign;
  foreign.set_id(lead.id());
  foreign.set_name("Mallory");
  EXPECT_THAT(store_->UpdateReferral(b_.team_id, foreign), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM outbox_events WHERE team_id = '" + b_.team_id +
                            "' AND type LIKE 'referral.update%'"),
            "0");
}

class PgReferralDeleteTest : public PgReferralStoreTest {
 protected:
  std::string InsertCommission(const std::string& referral_id, const std::string& status,
                               const std::string& commission_amount, const std::string& sale_amount,
                               int age_seconds = 0) {
    const std::string id = NewId("com");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO commissions (id, team_id, program_id, referral_id, affiliate_id, "
        "commission_amount, commission_currency, sale_amount, sale_amount_currency, status, "
        "earning_type, created_at) VALUES ('",
        id, "', '", a_.team_id, "', '", a_.program_id, "', '", referral_id, "', '", a_.affiliate_id,
        "', ", commission_amount, ", 'USD', ", sale_amount, ", ",
        sale_amount == "NULL" ? "NULL" : "'USD'", ", '", status, "', ",
        sale_amount == "NULL" ? "'lead'" : "'sale'", ", now() - interval '", age_seconds,
        " seconds')"));
    return id;
  }

  std::string StatusOf(const std::string& commission_id) {
    return db_->QueryValue(
        absl::StrCat("SELECT status FROM commissions WHERE id = '", commission_id, "'"));
  }

  std::string EventTypes() {
    return db_->QueryValue(
        "SELECT COALESCE(string_agg(type, ',' ORDER BY type), '') FROM outbox_events");
  }
};

TEST_F(PgReferralDeleteTest, DeleteHidesTheReferralAndDeclinesOnlyUnpaidCommissions) {
  const std::string click = InsertClickReferral(a_, "del@example.com");
  const std::string pending = InsertCommission(click, "pending", "5.00", "NULL");
  const std::string ready = InsertCommission(click, "ready_for_payment", "10.00", "100.00");
  const std::string paid = InsertCommission(click, "paid", "3.00", "30.00");
  const std::string refunded = InsertCommission(click, "refunded", "1.00", "10.00");

  ASSERT_OK(store_->DeleteReferral(a_.team_id, click));

  // Gone from every read.
  EXPECT_THAT(store_->GetReferral(a_.team_id, click), StatusIs(absl::StatusCode::kNotFound));
  UpdateReferralRequest update;
  update.set_id(click);
  update.set_name("again");
  EXPECT_THAT(store_->UpdateReferral(a_.team_id, update), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteReferral(a_.team_id, click), StatusIs(absl::StatusCode::kNotFound));
  auto page = store_->ListReferrals(a_.team_id, ListReferralsRequest());
  ASSERT_OK(page);
  EXPECT_EQ(page->data_size(), 0);

  // Unpaid commissions declined; paid and refunded ones kept as they were.
  EXPECT_EQ(StatusOf(pending), "declined");
  EXPECT_EQ(StatusOf(ready), "declined");
  EXPECT_EQ(StatusOf(paid), "paid");
  EXPECT_EQ(StatusOf(refunded), "refunded");
  // The row is a tombstone and the click is kept (still used).
  EXPECT_EQ(Column(click, "deleted_at IS NOT NULL"), "t");
  EXPECT_EQ(db_->QueryValue(absl::StrCat("SELECT count(*) FROM clicks WHERE id = '", click, "'")),
            "1");

  // One referral.deleted with referral.lead's data keys, and each declined
  // commission announced like a PUT to declined.
  EXPECT_EQ(EventTypes(),
            "referral.deleted,transaction.rejected,transaction.rejected,"
            "transaction.updated,transaction.updated");
  EXPECT_EQ(db_->QueryValue("SELECT payload->'data'->>'referralId' || '/' || "
                            "(payload->'data'->>'status') || '/' || "
                            "(payload->'data'->>'email') || '/' || "
                            "(payload->'data'->>'affiliateProgramId') || '/' || "
                            "(payload->>'type') || '/' || (payload->'data' ? 'trackingId') "
                            "FROM outbox_events WHERE type = 'referral.deleted'"),
            absl::StrCat(click, "/LEAD/del@example.com/", a_.program_id, "/referral.deleted/true"));
  EXPECT_EQ(db_->QueryValue("SELECT string_agg(DISTINCT payload->'data'->>'status', ',') "
                            "FROM outbox_events WHERE type LIKE 'transaction.%'"),
            "DECLINED");
  EXPECT_EQ(db_->QueryValue(absl::StrCat(
                "SELECT count(*) FROM outbox_events WHERE payload->'data'->>'transactionId' IN ('",
                paid, "', '", refunded, "')")),
            "0");
}

TEST_F(PgReferralDeleteTest, AnotherTeamsReferralIsNotFoundAndUntouched) {
  Referral theirs = MustCreate(For(b_, "theirs@example.com"), b_);
  EXPECT_THAT(store_->DeleteReferral(a_.team_id, theirs.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteReferral(a_.team_id, "ref_missing"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(store_->GetReferral(b_.team_id, theirs.id()));
  EXPECT_EQ(EventTypes(), "referral.lead");  // its creation's only
}

TEST_F(PgReferralDeleteTest, StatsComeFromTheCountedCommissionsInExactDecimals) {
  Referral referral = MustCreate(For(a_, "stats@example.com"), a_);
  auto empty = store_->GetReferralStats(a_.team_id, referral.id());
  ASSERT_OK(empty);
  EXPECT_EQ(empty->total_revenue(), 0);
  EXPECT_EQ(empty->total_commission(), 0);
  EXPECT_EQ(empty->total_orders(), 0);
  EXPECT_FALSE(empty->has_last_order_at());

  InsertCommission(referral.id(), "pending", "0.10", "NULL", 300);  // lead: no order
  InsertCommission(referral.id(), "paid", "0.20", "0.10", 200);
  InsertCommission(referral.id(), "ready_for_payment", "0.00", "0.20", 100);
  InsertCommission(referral.id(), "declined", "50.00", "500.00", 0);  // not counted
  InsertCommission(referral.id(), "refunded", "60.00", "600.00", 0);  // not counted
  auto stats = store_->GetReferralStats(a_.team_id, referral.id());
  ASSERT_OK(stats);
  // Summed as numeric: 0.1 + 0.2 is exactly 0.3 (in binary floating point it
  // would not be).
  EXPECT_EQ(stats->total_revenue(), 0.3);
  EXPECT_EQ(stats->total_commission(), 0.3);
  EXPECT_EQ(stats->total_orders(), 2);
  ASSERT_TRUE(stats->has_last_order_at());
  EXPECT_NEAR(stats->last_order_at().seconds(), absl::ToUnixSeconds(absl::Now()) - 100, 30);

  // Another team sees nothing of it.
  auto foreign = store_->GetReferralStats(b_.team_id, referral.id());
  ASSERT_OK(foreign);
  EXPECT_EQ(foreign->total_orders(), 0);
}

}  // namespace
}  // namespace affonso::storage
