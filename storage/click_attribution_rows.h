#ifndef AFFONSO_STORAGE_CLICK_ATTRIBUTION_ROWS_H_
#define AFFONSO_STORAGE_CLICK_ATTRIBUTION_ROWS_H_

#include "storage/json_rows.h"

namespace affonso::storage {

// A click's attribution fields, each under its clicks column's name, into the
// current row of a batch: the ones POST /v1/clicks (TrackClickRequest) and
// POST /v1/track (TrackRequest) both carry, so both batch inserts read the
// same keys. The IP and user agent are left to the caller (the pixel keeps
// them only with consent).
template <typename Click>
void AddClickAttribution(const Click& click, JsonRows& rows) {
  rows.Text("sub1", click.sub1());
  rows.Text("sub2", click.sub2());
  rows.Text("sub3", click.sub3());
  rows.Text("sub4", click.sub4());
  rows.Text("sub5", click.sub5());
  rows.Text("referrer", click.referrer());
  rows.Text("utm_source", click.utm_source());
  rows.Text("utm_medium", click.utm_medium());
  rows.Text("utm_campaign", click.utm_campaign());
  rows.Text("utm_term", click.utm_term());
  rows.Text("utm_content", click.utm_content());
  rows.Text("gclid", click.gclid());
  rows.Text("fbclid", click.fbclid());
  rows.Text("msclkid", click.msclkid());
  rows.Text("ttclid", click.ttclid());
}

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_CLICK_ATTRIBUTION_ROWS_H_
