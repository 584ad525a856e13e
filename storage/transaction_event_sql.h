#ifndef AFFONSO_STORAGE_TRANSACTION_EVENT_SQL_H_
#define AFFONSO_STORAGE_TRANSACTION_EVENT_SQL_H_

#include "storage/conversion_sql.h"

// The payload of every transaction.* event but the lead path's
// transaction.created (AFFONSO_COMMISSION_AND_EVENT_CTES writes that one, in
// the same shape), for the statements that change commissions. A macro, so
// statements built from it stay literals.
//
// `x` is a relation with the columns id, referral_id, affiliate_id,
// commission_amount (numeric or its text), commission_currency,
// event_sale_amount and event_sale_currency (the raw sale columns: NULL for
// lead commissions) and status; `event_id` and `type` are SQL text
// expressions. The data is API.md's: amounts as exact JSON numbers, status
// upper case.
// clang-format off
#define AFFONSO_TRANSACTION_EVENT_PAYLOAD(event_id, type, x)                                  \
  "jsonb_build_object('id', " event_id ", 'type', " type ", "                                 \
  "'createdAt', " AFFONSO_EVENT_CREATED_AT ", "                                               \
  "'data', jsonb_build_object('transactionId', " x ".id, 'referralId', " x ".referral_id, "   \
  "'affiliateId', " x ".affiliate_id, 'commissionAmount', " x ".commission_amount::numeric, " \
  "'commissionCurrency', " x ".commission_currency, 'saleAmount', " x ".event_sale_amount, "  \
  "'saleCurrency', " x ".event_sale_currency, 'status', upper(" x ".status), "                \
  "'type', 'COMMISSION'))"
// clang-format on

#endif  // AFFONSO_STORAGE_TRANSACTION_EVENT_SQL_H_
