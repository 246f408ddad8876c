// Merging queriers (Prometheus' storage.NewMergeQuerier for the local TSDB): one querier over
// several child queriers -- the DB's blocks and its head -- that returns every series once,
// sorted by labels, with the samples of all children merged by time. When several children
// have a sample at the same timestamp the last child wins (the DB passes the head last, so
// the head wins over a block it was just cut into).
//
// Ownership: the merge querier owns its children; a child querier keeps what it reads alive
// (a Block querier holds its Block). A merged Series refers to the children's current series,
// so it is valid until the merged set's next Next(), as the storage interface requires.
//
// Thread-safety: like any Querier, used by one thread at a time.
#pragma once

#include <memory>
#include <vector>

#include "storage/interface.h"

namespace vigil::tsdb {

// A querier over `children` (in priority order: later children win equal timestamps).
// Select asks every child for sorted series when there is more than one. LabelNames and
// LabelValues are the sorted union of the children's, cut at `limit`.
std::unique_ptr<storage::Querier> NewMergeQuerier(
    std::vector<std::unique_ptr<storage::Querier>> children);

// Merges sorted series sets (each sorted by labels) into one sorted set; equal label sets
// become one series whose samples are merged by time (later sets win equal timestamps).
// Err() is the first child error; Warnings() the union.
std::unique_ptr<storage::SeriesSet> NewMergeSeriesSet(
    std::vector<std::unique_ptr<storage::SeriesSet>> sets);

}  // namespace vigil::tsdb
