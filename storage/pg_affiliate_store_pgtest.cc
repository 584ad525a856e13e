#include "storage/pg_affiliate_store.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "storage/pg_api_key_store.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using affonso::v1::Affiliate;
using affonso::v1::CreateAffiliateRequest;
using affonso::v1::UpdateAffiliateRequest;

// Struct fields are a map: byte-wise serializations may differ in order.
::testing::AssertionResult SameMessage(const google::protobuf::Message& actual,
                                       const google::protobuf::Message& expected) {
  if (google::protobuf::util::MessageDifferencer::Equals(actual, expected)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << actual.DebugString() << "\nvs expected\n"
                                       << expected.DebugString();
}

class PgAffiliateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create();
    ASSERT_OK(db);
    db_ = *std::move(db);
    store_ = std::make_unique<PgAffiliateStore>(&db_->pool());
    PgApiKeyStore teams(&db_->pool());
    auto team_a = teams.CreateTeam("team a");
    ASSERT_OK(team_a);
    team_a_ = *team_a;
    auto team_b = teams.CreateTeam("team b");
    ASSERT_OK(team_b);
    team_b_ = *team_b;
  }

  // A second group (not the default) in `program_id`.
  std::string AddGroup(const std::string& team_id, const std::string& program_id,
                       const std::string& group_id) {
    db_->QueryValue(
        absl::StrCat("INSERT INTO affiliate_groups (id, team_id, program_id, name) VALUES ('",
                     group_id, "', '", team_id, "', '", program_id, "', 'vip')"));
    return group_id;
  }

  std::string AddProgram(const std::string& team_id, const std::string& program_id) {
    db_->QueryValue(absl::StrCat("INSERT INTO programs (id, team_id, name) VALUES ('", program_id,
                                 "', '", team_id, "', 'second')"));
    return program_id;
  }

  CreateAffiliateRequest NewRequest(const TeamBootstrap& team, const std::string& name,
                                    const std::string& tracking_id = "") {
    CreateAffiliateRequest request;
    request.set_name(name);
    request.set_email(absl::StrCat(name, "@example.com"));
    request.set_program_id(team.program_id);
    request.set_tracking_id(tracking_id);
    return request;
  }

  Affiliate MustCreate(const TeamBootstrap& team, const CreateAffiliateRequest& request) {
    auto created = store_->CreateAffiliate(team.team_id, request);
    EXPECT_OK(created);
    return created.ok() ? *created : Affiliate();
  }

  std::vector<std::string> ListNames(const TeamBootstrap& team, const AffiliateListQuery& query,
                                     int* total = nullptr) {
    auto page = store_->ListAffiliates(team.team_id, query);
    EXPECT_OK(page);
    std::vector<std::string> names;
    if (!page.ok()) return names;
    for (const Affiliate& affiliate : page->affiliates) names.push_back(affiliate.name());
    if (total) *total = page->total;
    return names;
  }

  // An incentive of `group` (in the team's default program unless given).
  std::string AddIncentive(const TeamBootstrap& team, const std::string& group_id,
                           const std::string& type, const std::string& name = "per lead",
                           std::string program_id = "") {
    if (program_id.empty()) program_id = team.program_id;
    const std::string id = NewId("inc");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO incentives (id, team_id, program_id, group_id, name, type, amount) "
        "VALUES ('",
        id, "', '", team.team_id, "', '", program_id, "', '", group_id, "', '", name, "', '", type,
        "', 5)"));
    return id;
  }

  affonso::v1::CreateCommissionOverrideRequest OverrideRequest(const std::string& affiliate_id,
                                                               const std::string& incentive_id,
                                                               double amount,
                                                               bool is_percentage = false) {
    affonso::v1::CreateCommissionOverrideRequest request;
    request.set_affiliate_id(affiliate_id);
    request.set_incentive_id(incentive_id);
    request.set_amount(amount);
    request.set_is_percentage(is_percentage);
    return request;
  }

  std::vector<std::string> OverrideIds(const std::string& team_id,
                                       const std::string& affiliate_id) {
    auto found = store_->ListCommissionOverrides(team_id, {affiliate_id});
    EXPECT_OK(found);
    std::vector<std::string> ids;
    if (!found.ok() || found->count(affiliate_id) == 0) return ids;
    for (const auto& commission_override : found->at(affiliate_id)) {
      ids.push_back(commission_override.id());
    }
    return ids;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<PgAffiliateStore> store_;
  TeamBootstrap team_a_;
  TeamBootstrap team_b_;
};

TEST_F(PgAffiliateStoreTest, CreateThenGetRoundTripsEveryField) {
  const std::string group = AddGroup(team_a_.team_id, team_a_.program_id, "grp_vip");
  CreateAffiliateRequest request = NewRequest(team_a_, "alice", "alice-2024_x");
  request.set_partnership_status(affonso::v1::PARTNERSHIP_STATUS_APPROVED);
  request.set_group_id(group);
  request.set_external_user_id("user_42");
  (*request.mutable_metadata()->mutable_fields())["plan"].set_string_value("pro");
  (*request.mutable_metadata()->mutable_fields())["seats"].set_number_value(3);

  Affiliate created = MustCreate(team_a_, request);
  EXPECT_EQ(created.id().rfind("aff_", 0), 0u) << created.id();
  EXPECT_GT(created.created_at().seconds(), 0);

  auto fetched = store_->GetAffiliate(team_a_.team_id, created.id());
  ASSERT_OK(fetched);
  EXPECT_TRUE(SameMessage(*fetched, created));
  EXPECT_EQ(fetched->name(), "alice");
  EXPECT_EQ(fetched->email(), "alice@example.com");
  EXPECT_EQ(fetched->tracking_id(), "alice-2024_x");
  EXPECT_EQ(fetched->partnership_status(), affonso::v1::PARTNERSHIP_STATUS_APPROVED);
  EXPECT_EQ(fetched->program_id(), team_a_.program_id);
  EXPECT_EQ(fetched->group_id(), group);
  EXPECT_EQ(fetched->external_user_id(), "user_42");
  EXPECT_EQ(fetched->metadata().fields().at("plan").string_value(), "pro");
  EXPECT_EQ(fetched->metadata().fields().at("seats").number_value(), 3);
  EXPECT_EQ(db_->QueryValue(
                absl::StrCat("SELECT team_id FROM affiliates WHERE id = '", created.id(), "'")),
            team_a_.team_id);
}

TEST_F(PgAffiliateStoreTest, DefaultsGeneratedTrackingIdPendingAndDefaultGroup) {
  Affiliate created = MustCreate(team_a_, NewRequest(team_a_, "bob"));
  ASSERT_EQ(created.tracking_id().size(), 8u);
  for (char c : created.tracking_id()) {
    EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << created.tracking_id();
  }
  EXPECT_EQ(created.partnership_status(), affonso::v1::PARTNERSHIP_STATUS_PENDING);
  // Stored as NULL, read as the program's default group.
  EXPECT_EQ(created.group_id(), team_a_.default_group_id);
  EXPECT_EQ(
      db_->QueryValue(absl::StrCat("SELECT coalesce(group_id, 'null') FROM affiliates WHERE id = '",
                                   created.id(), "'")),
      "null");
  EXPECT_EQ(created.metadata().fields_size(), 0);

  Affiliate other = MustCreate(team_a_, NewRequest(team_a_, "carol"));
  EXPECT_NE(other.tracking_id(), created.tracking_id());
}

TEST_F(PgAffiliateStoreTest, DuplicateTrackingIdInProgramIsDuplicateError) {
  MustCreate(team_a_, NewRequest(team_a_, "alice", "same"));
  auto duplicate = store_->CreateAffiliate(team_a_.team_id, NewRequest(team_a_, "bob", "same"));
  EXPECT_THAT(duplicate, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(duplicate, HasApiError("DUPLICATE_ERROR", "tracking_id"));
}

TEST_F(PgAffiliateStoreTest, SameTrackingIdInAnotherProgramOrTeamIsFine) {
  MustCreate(team_a_, NewRequest(team_a_, "alice", "same"));
  CreateAffiliateRequest second_program = NewRequest(team_a_, "bob", "same");
  second_program.set_program_id(AddProgram(team_a_.team_id, "prg_second"));
  EXPECT_OK(store_->CreateAffiliate(team_a_.team_id, second_program));
  EXPECT_OK(store_->CreateAffiliate(team_b_.team_id, NewRequest(team_b_, "carol", "same")));
}

TEST_F(PgAffiliateStoreTest, UnknownProgramOrGroupIsNotFound) {
  CreateAffiliateRequest unknown_program = NewRequest(team_a_, "alice");
  unknown_program.set_program_id("prg_nope");
  auto created = store_->CreateAffiliate(team_a_.team_id, unknown_program);
  EXPECT_THAT(created, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(created.status().message(), "program not found");

  // Another team's program is just as absent.
  created = store_->CreateAffiliate(team_a_.team_id, NewRequest(team_b_, "alice"));
  EXPECT_THAT(created, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(created.status().message(), "program not found");

  CreateAffiliateRequest unknown_group = NewRequest(team_a_, "alice");
  unknown_group.set_group_id("grp_nope");
  created = store_->CreateAffiliate(team_a_.team_id, unknown_group);
  EXPECT_THAT(created, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(created.status().message(), "group not found");

  // A group of another program (here: another team's) does not qualify.
  CreateAffiliateRequest foreign_group = NewRequest(team_a_, "alice");
  foreign_group.set_group_id(team_b_.default_group_id);
  created = store_->CreateAffiliate(team_a_.team_id, foreign_group);
  EXPECT_THAT(created, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(created.status().message(), "group not found");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM affiliates"), "0");
}

TEST_F(PgAffiliateStoreTest, AnotherTeamCannotSeeOrTouchTheAffiliate) {
  Affiliate created = MustCreate(team_a_, NewRequest(team_a_, "alice"));

  EXPECT_THAT(store_->GetAffiliate(team_b_.team_id, created.id()),
              StatusIs(absl::StatusCode::kNotFound));
  UpdateAffiliateRequest update;
  update.set_id(created.id());
  update.set_name("hijacked");
  auto updated = store_->UpdateAffiliate(team_b_.team_id, update);
  EXPECT_THAT(updated, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(updated.status().message(), "affiliate not found");
  EXPECT_THAT(store_->DeleteAffiliate(team_b_.team_id, created.id()),
              StatusIs(absl::StatusCode::kNotFound));
  AffiliateListQuery query;
  EXPECT_TRUE(ListNames(team_b_, query).empty());
  query.program_id = team_a_.program_id;
  EXPECT_TRUE(ListNames(team_b_, query).empty());

  auto still = store_->GetAffiliate(team_a_.team_id, created.id());
  ASSERT_OK(still);
  EXPECT_EQ(still->name(), "alice");
}

TEST_F(PgAffiliateStoreTest, PartialUpdateKeepsUntouchedFields) {
  const std::string group = AddGroup(team_a_.team_id, team_a_.program_id, "grp_vip");
  CreateAffiliateRequest request = NewRequest(team_a_, "alice", "alice");
  request.set_external_user_id("user_1");
  request.set_group_id(group);
  (*request.mutable_metadata()->mutable_fields())["plan"].set_string_value("pro");
  Affiliate created = MustCreate(team_a_, request);

  UpdateAffiliateRequest update;
  update.set_id(created.id());
  update.set_partnership_status(affonso::v1::PARTNERSHIP_STATUS_APPROVED);
  auto updated = store_->UpdateAffiliate(team_a_.team_id, update);
  ASSERT_OK(updated);
  Affiliate expected = created;
  expected.set_partnership_status(affonso::v1::PARTNERSHIP_STATUS_APPROVED);
  EXPECT_TRUE(SameMessage(*updated, expected));

  update.Clear();
  update.set_id(created.id());
  update.set_name("Alice B");
  update.set_email("alice.b@example.com");
  update.set_tracking_id("alice-b");
  update.set_external_user_id("");  // clears
  update.set_group_id("");          // back to the default group
  (*update.mutable_metadata()->mutable_fields())["tier"].set_string_value("gold");
  updated = store_->UpdateAffiliate(team_a_.team_id, update);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->name(), "Alice B");
  EXPECT_EQ(updated->email(), "alice.b@example.com");
  EXPECT_EQ(updated->tracking_id(), "alice-b");
  EXPECT_EQ(updated->external_user_id(), "");
  EXPECT_EQ(updated->group_id(), team_a_.default_group_id);
  EXPECT_EQ(updated->partnership_status(), affonso::v1::PARTNERSHIP_STATUS_APPROVED);
  // Metadata is replaced as a whole, not merged.
  EXPECT_EQ(updated->metadata().fields_size(), 1);
  EXPECT_EQ(updated->metadata().fields().at("tier").string_value(), "gold");
  EXPECT_TRUE(SameMessage(updated->created_at(), created.created_at()));

  update.Clear();
  update.set_id(created.id());
  update.set_group_id(group);
  updated = store_->UpdateAffiliate(team_a_.team_id, update);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->group_id(), group);
  EXPECT_EQ(updated->name(), "Alice B");

  auto fetched = store_->GetAffiliate(team_a_.team_id, created.id());
  ASSERT_OK(fetched);
  EXPECT_TRUE(SameMessage(*fetched, *updated));
  EXPECT_EQ(db_->QueryValue(absl::StrCat("SELECT updated_at > created_at FROM affiliates "
                                         "WHERE id = '",
                                         created.id(), "'")),
            "t");
}

TEST_F(PgAffiliateStoreTest, UpdateRejectsTakenTrackingIdAndForeignGroup) {
  MustCreate(team_a_, NewRequest(team_a_, "alice", "taken"));
  Affiliate bob = MustCreate(team_a_, NewRequest(team_a_, "bob", "bob"));

  UpdateAffiliateRequest update;
  update.set_id(bob.id());
  update.set_tracking_id("taken");
  auto updated = store_->UpdateAffiliate(team_a_.team_id, update);
  EXPECT_THAT(updated, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(ApiErrorField(updated.status()), "tracking_id");

  update.Clear();
  update.set_id(bob.id());
  update.set_group_id(team_b_.default_group_id);
  update.set_name("changed");
  updated = store_->UpdateAffiliate(team_a_.team_id, update);
  EXPECT_THAT(updated, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(updated.status().message(), "group not found");

  auto unchanged = store_->GetAffiliate(team_a_.team_id, bob.id());
  ASSERT_OK(unchanged);
  EXPECT_TRUE(SameMessage(*unchanged, bob));

  update.set_id("aff_missing");
  EXPECT_EQ(store_->UpdateAffiliate(team_a_.team_id, update).status().message(),
            "affiliate not found");
}

TEST_F(PgAffiliateStoreTest, SoftDeleteHidesTheAffiliateAndFreesItsTrackingId) {
  Affiliate created = MustCreate(team_a_, NewRequest(team_a_, "alice", "alice"));
  ASSERT_OK(store_->DeleteAffiliate(team_a_.team_id, created.id()));

  EXPECT_THAT(store_->GetAffiliate(team_a_.team_id, created.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteAffiliate(team_a_.team_id, created.id()),
              StatusIs(absl::StatusCode::kNotFound));
  UpdateAffiliateRequest update;
  update.set_id(created.id());
  update.set_name("ghost");
  EXPECT_THAT(store_->UpdateAffiliate(team_a_.team_id, update),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(ListNames(team_a_, AffiliateListQuery()).empty());
  // The row stays for the clicks and referrals that point at it.
  EXPECT_EQ(db_->QueryValue(absl::StrCat("SELECT deleted_at IS NOT NULL FROM affiliates "
                                         "WHERE id = '",
                                         created.id(), "'")),
            "t");

  Affiliate reused = MustCreate(team_a_, NewRequest(team_a_, "alice2", "alice"));
  EXPECT_EQ(reused.tracking_id(), "alice");
  EXPECT_NE(reused.id(), created.id());
}

TEST_F(PgAffiliateStoreTest, ListPaginatesNewestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(MustCreate(team_a_, NewRequest(team_a_, absl::StrCat("a", i))).id());
    // Distinct, known creation times: a0 oldest, a4 newest.
    db_->QueryValue(absl::StrCat("UPDATE affiliates SET created_at = now() - interval '", 10 - i,
                                 " minutes' WHERE id = '", ids.back(), "'"));
  }
  AffiliateListQuery query;
  query.limit = 2;
  int total = -1;
  EXPECT_EQ(ListNames(team_a_, query, &total), (std::vector<std::string>{"a4", "a3"}));
  EXPECT_EQ(total, 5);
  query.page = 2;
  EXPECT_EQ(ListNames(team_a_, query, &total), (std::vector<std::string>{"a2", "a1"}));
  EXPECT_EQ(total, 5);
  query.page = 3;
  EXPECT_EQ(ListNames(team_a_, query, &total), (std::vector<std::string>{"a0"}));
  EXPECT_EQ(total, 5);
  // Past the end: no rows, but the total is still right.
  query.page = 4;
  EXPECT_TRUE(ListNames(team_a_, query, &total).empty());
  EXPECT_EQ(total, 5);
  query.page = 1;
  query.limit = 100;
  EXPECT_EQ(ListNames(team_a_, query, &total).size(), 5u);
  EXPECT_EQ(total, 5);
}

TEST_F(PgAffiliateStoreTest, ListFiltersByStatusProgramAndEffectiveGroup) {
  const std::string vip = AddGroup(team_a_.team_id, team_a_.program_id, "grp_vip");
  const std::string second_program = AddProgram(team_a_.team_id, "prg_second");
  CreateAffiliateRequest approved_vip = NewRequest(team_a_, "approved_vip");
  approved_vip.set_partnership_status(affonso::v1::PARTNERSHIP_STATUS_APPROVED);
  approved_vip.set_group_id(vip);
  MustCreate(team_a_, approved_vip);
  CreateAffiliateRequest explicit_default = NewRequest(team_a_, "explicit_default");
  explicit_default.set_group_id(team_a_.default_group_id);
  MustCreate(team_a_, explicit_default);
  MustCreate(team_a_, NewRequest(team_a_, "implicit_default"));
  CreateAffiliateRequest elsewhere = NewRequest(team_a_, "elsewhere");
  elsewhere.set_program_id(second_program);
  MustCreate(team_a_, elsewhere);

  AffiliateListQuery query;
  query.partnership_status = affonso::v1::PARTNERSHIP_STATUS_APPROVED;
  EXPECT_EQ(ListNames(team_a_, query), (std::vector<std::string>{"approved_vip"}));
  query.partnership_status = affonso::v1::PARTNERSHIP_STATUS_PENDING;
  EXPECT_EQ(ListNames(team_a_, query).size(), 3u);

  query = AffiliateListQuery();
  query.program_id = second_program;
  int total = -1;
  EXPECT_EQ(ListNames(team_a_, query, &total), (std::vector<std::string>{"elsewhere"}));
  EXPECT_EQ(total, 1);

  query = AffiliateListQuery();
  query.group_id = team_a_.default_group_id;
  std::vector<std::string> in_default = ListNames(team_a_, query);
  std::sort(in_default.begin(), in_default.end());
  EXPECT_EQ(in_default, (std::vector<std::string>{"explicit_default", "implicit_default"}));
  query.group_id = vip;
  EXPECT_EQ(ListNames(team_a_, query), (std::vector<std::string>{"approved_vip"}));
  query.group_id = "grp_unknown";
  EXPECT_TRUE(ListNames(team_a_, query, &total).empty());
  EXPECT_EQ(total, 0);
}

TEST_F(PgAffiliateStoreTest, ListSearchIsCaseInsensitiveAndLiteral) {
  CreateAffiliateRequest percent = NewRequest(team_a_, "Fifty%Off");
  percent.set_email("deals@example.com");
  MustCreate(team_a_, percent);
  CreateAffiliateRequest plain = NewRequest(team_a_, "FiftyXOff");
  plain.set_email("Marketing@Shop.io");
  MustCreate(team_a_, plain);
  CreateAffiliateRequest underscore = NewRequest(team_a_, "under_score");
  underscore.set_email("u@example.com");
  MustCreate(team_a_, underscore);

  AffiliateListQuery query;
  query.search = "fifty";
  EXPECT_EQ(ListNames(team_a_, query).size(), 2u);
  query.search = "%";
  EXPECT_EQ(ListNames(team_a_, query), (std::vector<std::string>{"Fifty%Off"}));
  query.search = "y%o";
  EXPECT_EQ(ListNames(team_a_, query), (std::vector<std::string>{"Fifty%Off"}));
  // Unescaped, "_" would match the X and the % of the other two names.
  query.search = "y_o";
  EXPECT_TRUE(ListNames(team_a_, query).empty());
  query.search = "under_";
  EXPECT_EQ(ListNames(team_a_, query), (std::vector<std::string>{"under_score"}));
  query.search = "\\";
  EXPECT_TRUE(ListNames(team_a_, query).empty());
  // Email matches too, case-insensitively.
  query.search = "MARKETING@shop";
  int total = -1;
  EXPECT_EQ(ListNames(team_a_, query, &total), (std::vector<std::string>{"FiftyXOff"}));
  EXPECT_EQ(total, 1);
}

TEST_F(PgAffiliateStoreTest, CreateOverrideReturnsTheIncentiveAndIsListed) {
  const Affiliate alice = MustCreate(team_a_, NewRequest(team_a_, "alice"));
  const std::string incentive =
      AddIncentive(team_a_, team_a_.default_group_id, "lead", "Signup bonus");
  auto created = store_->CreateCommissionOverride(team_a_.team_id,
                                                  OverrideRequest(alice.id(), incentive, 7.25));
  ASSERT_OK(created);
  EXPECT_EQ(created->id().rfind("ovr_", 0), 0u) << created->id();
  EXPECT_EQ(created->incentive_id(), incentive);
  EXPECT_EQ(created->incentive_name(), "Signup bonus");
  EXPECT_EQ(created->incentive_type(), affonso::v1::INCENTIVE_TYPE_LEAD);
  EXPECT_EQ(created->amount(), 7.25);
  EXPECT_FALSE(created->is_percentage());
  EXPECT_GT(created->created_at().seconds(), 0);
  EXPECT_EQ(db_->QueryValue(absl::StrCat("SELECT amount::text || '/' || team_id FROM "
                                         "commission_overrides WHERE id = '",
                                         created->id(), "'")),
            absl::StrCat("7.25/", team_a_.team_id));

  auto listed = store_->ListCommissionOverrides(team_a_.team_id, {alice.id()});
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_EQ(listed->at(alice.id()).size(), 1u);
  EXPECT_TRUE(SameMessage(listed->at(alice.id())[0], *created));
}

TEST_F(PgAffiliateStoreTest, OverrideOfAnIncentiveInAnyGroupOfTheProgramIsAllowed) {
  const Affiliate alice = MustCreate(team_a_, NewRequest(team_a_, "alice"));
  const std::string vip = AddGroup(team_a_.team_id, team_a_.program_id, "grp_vip");
  const std::string sale = AddIncentive(team_a_, vip, "sale", "Revenue share");
  auto created = store_->CreateCommissionOverride(
      team_a_.team_id, OverrideRequest(alice.id(), sale, 30, /*is_percentage=*/true));
  ASSERT_OK(created);
  EXPECT_EQ(created->incentive_type(), affonso::v1::INCENTIVE_TYPE_SALE);
  EXPECT_TRUE(created->is_percentage());
  EXPECT_EQ(created->amount(), 30);
}

TEST_F(PgAffiliateStoreTest, SecondOverrideForTheSameIncentiveIsDuplicateError) {
  const Affiliate alice = MustCreate(team_a_, NewRequest(team_a_, "alice"));
  const Affiliate bob = MustCreate(team_a_, NewRequest(team_a_, "bob"));
  const std::string incentive = AddIncentive(team_a_, team_a_.default_group_id, "lead");
  ASSERT_OK(
      store_->CreateCommissionOverride(team_a_.team_id, OverrideRequest(alice.id(), incentive, 1)));
  auto again =
      store_->CreateCommissionOverride(team_a_.team_id, OverrideRequest(alice.id(), incentive, 2));
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(again, HasApiError("DUPLICATE_ERROR", "incentive_id"));
  // Another affiliate may override the same incentive.
  EXPECT_OK(
      store_->CreateCommissionOverride(team_a_.team_id, OverrideRequest(bob.id(), incentive, 2)));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM commission_overrides"), "2");
}

TEST_F(PgAffiliateStoreTest, LeadIncentiveCannotBeOverriddenAsAPercentage) {
  const Affiliate alice = MustCreate(team_a_, NewRequest(team_a_, "alice"));
  const std::string incentive = AddIncentive(team_a_, team_a_.default_group_id, "lead");
  auto created = store_->CreateCommissionOverride(
      team_a_.team_id, OverrideRequest(alice.id(), incentive, 10, /*is_percentage=*/true));
  EXPECT_THAT(created, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ApiErrorField(created.status()), "is_percentage");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM commission_overrides"), "0");
}

TEST_F(PgAffiliateStoreTest, OverrideNeedsALiveAffiliateAndAnIncentiveOfItsProgram) {
  const Affiliate alice = MustCreate(team_a_, NewRequest(team_a_, "alice"));
  const Affiliate bob_b = MustCreate(team_b_, NewRequest(team_b_, "bob"));
  const std::string incentive_a = AddIncentive(team_a_, team_a_.default_group_id, "lead");
  const std::string incentive_b = AddIncentive(team_b_, team_b_.default_group_id, "lead");
  const std::string other_program = AddProgram(team_a_.team_id, "prg_second");
  const std::string other_group = AddGroup(team_a_.team_id, other_program, "grp_second");
  const std::string incentive_elsewhere =
      AddIncentive(team_a_, other_group, "lead", "elsewhere", other_program);

  auto status_of = [&](const std::string& team, const std::string& affiliate,
                       const std::string& incentive) {
    return store_->CreateCommissionOverride(team, OverrideRequest(affiliate, incentive, 1))
        .status();
  };
  absl::Status foreign_incentive = status_of(team_a_.team_id, alice.id(), incentive_b);
  EXPECT_THAT(foreign_incentive, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(foreign_incentive.message(), "incentive not found");
  EXPECT_EQ(status_of(team_a_.team_id, alice.id(), incentive_elsewhere).message(),
            "incentive not found");
  EXPECT_EQ(status_of(team_a_.team_id, alice.id(), "inc_missing").message(), "incentive not found");
  absl::Status foreign_affiliate = status_of(team_a_.team_id, bob_b.id(), incentive_a);
  EXPECT_THAT(foreign_affiliate, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(foreign_affiliate.message(), "affiliate not found");
  // Team B naming its own affiliate and team A's incentive.
  EXPECT_EQ(status_of(team_b_.team_id, bob_b.id(), incentive_a).message(), "incentive not found");

  ASSERT_OK(store_->DeleteAffiliate(team_a_.team_id, alice.id()));
  EXPECT_EQ(status_of(team_a_.team_id, alice.id(), incentive_a).message(), "affiliate not found");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM commission_overrides"), "0");
}

TEST_F(PgAffiliateStoreTest, DeleteOverrideIsScopedToTeamAndAffiliate) {
  const Affiliate alice = MustCreate(team_a_, NewRequest(team_a_, "alice"));
  const Affiliate carol = MustCreate(team_a_, NewRequest(team_a_, "carol"));
  const std::string incentive = AddIncentive(team_a_, team_a_.default_group_id, "lead");
  auto created =
      store_->CreateCommissionOverride(team_a_.team_id, OverrideRequest(alice.id(), incentive, 3));
  ASSERT_OK(created);

  EXPECT_THAT(store_->DeleteCommissionOverride(team_b_.team_id, alice.id(), created->id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteCommissionOverride(team_a_.team_id, carol.id(), created->id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(OverrideIds(team_a_.team_id, alice.id()), std::vector<std::string>{created->id()});

  EXPECT_OK(store_->DeleteCommissionOverride(team_a_.team_id, alice.id(), created->id()));
  EXPECT_TRUE(OverrideIds(team_a_.team_id, alice.id()).empty());
  absl::Status again = store_->DeleteCommissionOverride(team_a_.team_id, alice.id(), created->id());
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(again.message(), "commission override not found");
}

TEST_F(PgAffiliateStoreTest, ListOverridesGroupsAPageByAffiliateWithinTheTeam) {
  const Affiliate alice = MustCreate(team_a_, NewRequest(team_a_, "alice"));
  const Affiliate bob = MustCreate(team_a_, NewRequest(team_a_, "bob"));
  const Affiliate carol = MustCreate(team_a_, NewRequest(team_a_, "carol"));
  const std::string lead = AddIncentive(team_a_, team_a_.default_group_id, "lead", "lead");
  const std::string sale = AddIncentive(team_a_, team_a_.default_group_id, "sale", "sale");
  std::vector<std::string> alice_overrides;
  for (const std::string& incentive : {lead, sale}) {
    auto created = store_->CreateCommissionOverride(team_a_.team_id,
                                                    OverrideRequest(alice.id(), incentive, 4));
    ASSERT_OK(created);
    alice_overrides.push_back(created->id());
  }
  auto bob_override =
      store_->CreateCommissionOverride(team_a_.team_id, OverrideRequest(bob.id(), sale, 0));
  ASSERT_OK(bob_override);

  auto page = store_->ListCommissionOverrides(team_a_.team_id, {alice.id(), bob.id(), carol.id()});
  ASSERT_OK(page);
  EXPECT_EQ(page->size(), 2u);  // carol has none
  ASSERT_EQ(page->at(alice.id()).size(), 2u);
  EXPECT_EQ(page->at(alice.id())[0].id(), alice_overrides[0]);  // oldest first
  EXPECT_EQ(page->at(alice.id())[1].id(), alice_overrides[1]);
  ASSERT_EQ(page->at(bob.id()).size(), 1u);
  EXPECT_EQ(page->at(bob.id())[0].amount(), 0);

  auto other_team = store_->ListCommissionOverrides(team_b_.team_id, {alice.id(), bob.id()});
  ASSERT_OK(other_team);
  EXPECT_TRUE(other_team->empty());
  auto none = store_->ListCommissionOverrides(team_a_.team_id, {});
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

TEST(ContainsPatternTest, EscapesLikeWildcards) {
  EXPECT_EQ(ContainsPattern("abc"), "%abc%");
  EXPECT_EQ(ContainsPattern("50%_off\\"), "%50\\%\\_off\\\\%");
}

TEST_F(PgAffiliateStoreTest, FindOrCreateByEmailFindsTheOldestLiveOneOrCreatesWithItsEvent) {
  auto count = [&](const std::string& sql) { return db_->QueryValue(sql); };
  CreateAffiliateRequest request = NewRequest(team_a_, "pat");
  ASSERT_OK_AND_ASSIGN(AffiliateStore::FoundOrCreated first,
                       store_->FindOrCreateAffiliateByEmail(team_a_.team_id, request));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(count(absl::StrCat("SELECT count(*) FROM outbox_events WHERE type = "
                               "'affiliate.created' AND payload->'data'->>'affiliateId' = '",
                               first.affiliate_id, "'")),
            "1");

  // Any case: the same one, nothing written.
  const std::string events = count("SELECT count(*) FROM outbox_events");
  request.set_email("PAT@Example.COM");
  ASSERT_OK_AND_ASSIGN(AffiliateStore::FoundOrCreated again,
                       store_->FindOrCreateAffiliateByEmail(team_a_.team_id, request));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.affiliate_id, first.affiliate_id);
  EXPECT_EQ(count("SELECT count(*) FROM outbox_events"), events);

  // A second one with the email (POST /v1/affiliates allows it): the oldest wins.
  MustCreate(team_a_, NewRequest(team_a_, "pat"));
  ASSERT_OK_AND_ASSIGN(again, store_->FindOrCreateAffiliateByEmail(team_a_.team_id, request));
  EXPECT_EQ(again.affiliate_id, first.affiliate_id);

  // Deleted ones are not found: a new one.
  db_->QueryValue(
      "UPDATE affiliates SET deleted_at = now() WHERE email = 'pat@example.com' "
      "RETURNING id");
  ASSERT_OK_AND_ASSIGN(again, store_->FindOrCreateAffiliateByEmail(team_a_.team_id, request));
  EXPECT_TRUE(again.created);
  EXPECT_NE(again.affiliate_id, first.affiliate_id);
}

TEST_F(PgAffiliateStoreTest, FindOrCreateByEmailRefusesAsCreateDoes) {
  const std::string affiliates = db_->QueryValue("SELECT count(*) FROM affiliates");
  // Another team's program, even for an email that is there.
  MustCreate(team_b_, NewRequest(team_b_, "bob"));
  CreateAffiliateRequest request = NewRequest(team_b_, "bob");
  EXPECT_THAT(store_->FindOrCreateAffiliateByEmail(team_a_.team_id, request).status(),
              StatusIs(absl::StatusCode::kNotFound));
  request = NewRequest(team_a_, "gus");
  request.set_group_id("grp_nosuchgroup");
  EXPECT_THAT(store_->FindOrCreateAffiliateByEmail(team_a_.team_id, request).status(),
              StatusIs(absl::StatusCode::kNotFound));
  MustCreate(team_a_, NewRequest(team_a_, "taken", "taken-1"));
  request = NewRequest(team_a_, "newcomer", "taken-1");
  EXPECT_THAT(store_->FindOrCreateAffiliateByEmail(team_a_.team_id, request).status(),
              HasApiError(api_code::kDuplicate, "tracking_id"));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM affiliates"),
            std::to_string(std::stoi(affiliates) + 2));
}

}  // namespace
}  // namespace affonso::storage

namespace affonso::storage {
namespace {

TEST_F(PgAffiliateStoreTest, CreateStoresEverySdkFieldAndReadsTheNullablesAsUnset) {
  CreateAffiliateRequest request = NewRequest(team_a_, "dora");
  request.set_company_name("Dora GmbH");
  request.set_country_code("DE");
  request.set_onboarding_completed(true);
  request.set_payout_method("wise");
  (*request.mutable_payout_details()->mutable_fields())["email"].set_string_value("d@dora.de");
  Affiliate created = MustCreate(team_a_, request);
  EXPECT_EQ(created.source(), "api");
  EXPECT_TRUE(created.onboarding_completed());
  ASSERT_TRUE(created.has_payout_method());
  EXPECT_EQ(created.payout_method().type(), "wise");
  EXPECT_EQ(created.payout_method().details().fields().at("email").string_value(), "d@dora.de");
  EXPECT_FALSE(created.has_external_user_id());  // NULL, rendered null
  EXPECT_TRUE(created.has_name() && created.has_email() && created.has_tracking_id() &&
              created.has_program_id() && created.has_group_id() &&
              created.has_partnership_status());
  EXPECT_EQ(db_->QueryValue(absl::StrCat("SELECT company_name || '/' || country_code || '/' || "
                                         "source FROM affiliates WHERE id = '",
                                         created.id(), "'")),
            "Dora GmbH/DE/api");

  // A row written by the previous release: no source, no payout method.
  Affiliate plain = MustCreate(team_a_, NewRequest(team_a_, "eve"));
  EXPECT_FALSE(plain.has_payout_method());
  EXPECT_FALSE(plain.onboarding_completed());
  db_->QueryValue(
      absl::StrCat("UPDATE affiliates SET source = NULL WHERE id = '", plain.id(), "'"));
  auto old = store_->GetAffiliate(team_a_.team_id, plain.id());
  ASSERT_OK(old);
  EXPECT_FALSE(old->has_source());
  EXPECT_EQ(db_->QueryValue(absl::StrCat(
                "SELECT coalesce(company_name, 'null') || coalesce(payout_details::text, 'null') "
                "FROM affiliates WHERE id = '",
                plain.id(), "'")),
            "nullnull");
}

TEST_F(PgAffiliateStoreTest, UpdateChangesAndClearsTheNewFields) {
  CreateAffiliateRequest request = NewRequest(team_a_, "fay");
  request.set_company_name("Fay Ltd");
  request.set_country_code("GB");
  request.set_payout_method("paypal");
  (*request.mutable_payout_details()->mutable_fields())["email"].set_string_value("f@fay.uk");
  const Affiliate fay = MustCreate(team_a_, request);

  UpdateAffiliateRequest update;
  update.set_id(fay.id());
  update.set_onboarding_completed(true);
  update.set_company_name("");
  (*update.mutable_payout_details()->mutable_fields())["email"].set_string_value("new@fay.uk");
  auto updated = store_->UpdateAffiliate(team_a_.team_id, update);
  ASSERT_OK(updated);
  EXPECT_TRUE(updated->onboarding_completed());
  EXPECT_EQ(updated->payout_method().type(), "paypal");
  EXPECT_EQ(updated->payout_method().details().fields().at("email").string_value(), "new@fay.uk");
  EXPECT_EQ(db_->QueryValue(absl::StrCat("SELECT coalesce(company_name, 'null') || '/' || "
                                         "country_code FROM affiliates WHERE id = '",
                                         fay.id(), "'")),
            "null/GB");

  update.Clear();
  update.set_id(fay.id());
  update.set_payout_method("");  // no method: the details go too
  update.set_country_code("");
  update.set_partnership_status(affonso::v1::PARTNERSHIP_STATUS_REJECTED);
  updated = store_->UpdateAffiliate(team_a_.team_id, update);
  ASSERT_OK(updated);
  EXPECT_FALSE(updated->has_payout_method());
  EXPECT_EQ(updated->partnership_status(), affonso::v1::PARTNERSHIP_STATUS_REJECTED);
  EXPECT_TRUE(updated->onboarding_completed());  // absent = unchanged
  EXPECT_EQ(db_->QueryValue(absl::StrCat("SELECT coalesce(payout_details::text, 'null') || "
                                         "coalesce(country_code, 'null') FROM affiliates "
                                         "WHERE id = '",
                                         fay.id(), "'")),
            "nullnull");
}

TEST_F(PgAffiliateStoreTest, ListSortsAndBoundsByCreationTime) {
  const Affiliate bea = MustCreate(team_a_, NewRequest(team_a_, "Bea"));
  const Affiliate al = MustCreate(team_a_, NewRequest(team_a_, "al"));
  const Affiliate cy = MustCreate(team_a_, NewRequest(team_a_, "Cy"));
  const char* days[] = {"2024-03-01 10:00+00", "2024-03-02 10:00+00", "2024-03-03 10:00+00"};
  const Affiliate* in_order[] = {&bea, &al, &cy};
  for (int i = 0; i < 3; ++i) {
    db_->QueryValue(absl::StrCat("UPDATE affiliates SET created_at = '", days[i], "' WHERE id = '",
                                 in_order[i]->id(), "'"));
  }
  AffiliateListQuery query;
  EXPECT_EQ(ListNames(team_a_, query), (std::vector<std::string>{"Cy", "al", "Bea"}));
  query.sort = AffiliateSort::kOldest;
  EXPECT_EQ(ListNames(team_a_, query), (std::vector<std::string>{"Bea", "al", "Cy"}));
  query.sort = AffiliateSort::kNameAsc;  // case-insensitive
  EXPECT_EQ(ListNames(team_a_, query), (std::vector<std::string>{"al", "Bea", "Cy"}));
  query.sort = AffiliateSort::kNameDesc;
  EXPECT_EQ(ListNames(team_a_, query), (std::vector<std::string>{"Cy", "Bea", "al"}));
  query.sort = AffiliateSort::kEmailDesc;
  EXPECT_EQ(ListNames(team_a_, query), (std::vector<std::string>{"Cy", "Bea", "al"}));

  query.sort = AffiliateSort::kOldest;
  // [2024-03-02 00:00, 2024-03-03 10:00): only al.
  query.created_from_micros = int64_t{1709337600} * 1000000;
  query.created_before_micros = int64_t{1709460000} * 1000000;
  int total = -1;
  EXPECT_EQ(ListNames(team_a_, query, &total), std::vector<std::string>{"al"});
  EXPECT_EQ(total, 1);
  query.created_before_micros.reset();
  EXPECT_EQ(ListNames(team_a_, query), (std::vector<std::string>{"al", "Cy"}));
  // A page past the end still counts with the bounds.
  query.page = 3;
  query.limit = 1;
  EXPECT_TRUE(ListNames(team_a_, query, &total).empty());
  EXPECT_EQ(total, 2);
}

TEST_F(PgAffiliateStoreTest, OverridesCarryTheIncentivesTermsAndExactAmounts) {
  const Affiliate alice = MustCreate(team_a_, NewRequest(team_a_, "alice"));
  const std::string sale = AddIncentive(team_a_, team_a_.default_group_id, "sale", "Share");
  db_->QueryValue(absl::StrCat(
      "UPDATE incentives SET apply_to = 'specific_products', product_ids = '{prod_1,price_2}', "
      "approval_type = 'manual', hold_period_days = 14, incentive_length = 'payment_limited', "
      "length_value = 6, variable_commission = true, variable_config = '{\"tiers\": [1, 2]}' "
      "WHERE id = '",
      sale, "'"));
  auto created = store_->CreateCommissionOverride(
      team_a_.team_id, OverrideRequest(alice.id(), sale, 1234567890123.45));
  ASSERT_OK(created);
  EXPECT_EQ(created->amount(), 1234567890123.45);
  EXPECT_EQ(db_->QueryValue(absl::StrCat("SELECT amount::text FROM commission_overrides "
                                         "WHERE id = '",
                                         created->id(), "'")),
            "1234567890123.45");
  EXPECT_EQ(created->apply_to(), "specific_products");
  EXPECT_EQ(std::vector<std::string>(created->product_ids().begin(), created->product_ids().end()),
            (std::vector<std::string>{"prod_1", "price_2"}));
  EXPECT_EQ(created->approval_type(), "manual");
  EXPECT_EQ(created->hold_period_days(), 14);
  EXPECT_EQ(created->incentive_length(), "payment_limited");
  EXPECT_EQ(created->length_value(), 6);
  EXPECT_TRUE(created->variable_commission());
  EXPECT_EQ(
      created->variable_config().struct_value().fields().at("tiers").list_value().values_size(), 2);

  // An incentive with the defaults: lifetime, no length, no config.
  const std::string lead = AddIncentive(team_a_, team_a_.default_group_id, "lead", "Lead");
  auto plain =
      store_->CreateCommissionOverride(team_a_.team_id, OverrideRequest(alice.id(), lead, 0.1));
  ASSERT_OK(plain);
  EXPECT_EQ(plain->amount(), 0.1);
  EXPECT_EQ(plain->apply_to(), "all_products");
  EXPECT_EQ(plain->approval_type(), "auto");
  EXPECT_EQ(plain->incentive_length(), "lifetime");
  EXPECT_FALSE(plain->has_length_value());
  EXPECT_FALSE(plain->has_variable_config());
  EXPECT_TRUE(plain->has_hold_period_days());
}

TEST_F(PgAffiliateStoreTest, AnAffiliateHasAtMostFiveOverrides) {
  const Affiliate alice = MustCreate(team_a_, NewRequest(team_a_, "alice"));
  for (int i = 0; i < kMaxCommissionOverridesPerAffiliate; ++i) {
    const std::string incentive = AddIncentive(team_a_, team_a_.default_group_id, "lead");
    ASSERT_OK(store_->CreateCommissionOverride(team_a_.team_id,
                                               OverrideRequest(alice.id(), incentive, i)));
  }
  const std::string sixth = AddIncentive(team_a_, team_a_.default_group_id, "lead");
  auto refused =
      store_->CreateCommissionOverride(team_a_.team_id, OverrideRequest(alice.id(), sixth, 1));
  EXPECT_THAT(refused, HasApiError("VALIDATION_ERROR", "incentive_id"));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM commission_overrides"), "5");
  // Another affiliate's count is its own.
  const Affiliate bob = MustCreate(team_a_, NewRequest(team_a_, "bob"));
  EXPECT_OK(store_->CreateCommissionOverride(team_a_.team_id, OverrideRequest(bob.id(), sixth, 1)));
}

TEST_F(PgAffiliateStoreTest, RacingOverridesNeverPassTheCap) {
  const Affiliate alice = MustCreate(team_a_, NewRequest(team_a_, "alice"));
  std::vector<std::string> incentives;
  for (int i = 0; i < 8; ++i) {
    incentives.push_back(AddIncentive(team_a_, team_a_.default_group_id, "lead"));
  }
  std::vector<absl::Status> results(incentives.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < incentives.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = store_
                       ->CreateCommissionOverride(team_a_.team_id,
                                                  OverrideRequest(alice.id(), incentives[i], 1))
                       .status();
    });
  }
  for (std::thread& thread : threads) thread.join();
  const auto created = std::count_if(results.begin(), results.end(),
                                     [](const absl::Status& status) { return status.ok(); });
  EXPECT_EQ(created, kMaxCommissionOverridesPerAffiliate);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM commission_overrides"), "5");
}

}  // namespace
}  // namespace affonso::storage
