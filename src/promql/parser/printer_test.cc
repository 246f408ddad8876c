// Printer tests: canonical String() form and Prettify, against the in/out pairs of Prometheus'
// printer_test.go and prettier_test.go (strings taken from those files as facts), plus our own
// tables for the number and duration formatting helpers.
#include "promql/parser/printer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <string_view>

#include "promql/parser/parser.h"

namespace vigil::promql::parser {
namespace {

struct PrintCase {
  std::string_view in;
  const char* out;  // nullptr: same as the input
};

std::string Err(const Result<ExprPtr>& r) {
  return r ? std::string("<no error>") : std::string(r.error().message());
}

// Pairs of Prometheus' TestExprString and TestBinaryExprUTF8Labels.
const PrintCase kPromPrintCases[] = {
    {R"pql(sum by() (task:errors:rate10s{job="s"}))pql",
     R"pql(sum(task:errors:rate10s{job="s"}))pql"},
    {R"pql(sum by(code) (task:errors:rate10s{job="s"}))pql",
     R"pql(sum by (code) (task:errors:rate10s{job="s"}))pql"},
    {R"pql(sum without() (task:errors:rate10s{job="s"}))pql",
     R"pql(sum without () (task:errors:rate10s{job="s"}))pql"},
    {R"pql(sum without(instance) (task:errors:rate10s{job="s"}))pql",
     R"pql(sum without (instance) (task:errors:rate10s{job="s"}))pql"},
    {R"pql(sum by("foo.bar") (task:errors:rate10s{job="s"}))pql",
     R"pql(sum by ("foo.bar") (task:errors:rate10s{job="s"}))pql"},
    {R"pql(sum without("foo.bar") (task:errors:rate10s{job="s"}))pql",
     R"pql(sum without ("foo.bar") (task:errors:rate10s{job="s"}))pql"},
    {R"pql(topk(5, task:errors:rate10s{job="s"}))pql", nullptr},
    {R"pql(count_values("value", task:errors:rate10s{job="s"}))pql", nullptr},
    {R"pql(a - on() c)pql", R"pql(a - on () c)pql"},
    {R"pql(a - on(b) c)pql", R"pql(a - on (b) c)pql"},
    {R"pql(a - on(b) group_left(x) c)pql", R"pql(a - on (b) group_left (x) c)pql"},
    {R"pql(a - on(b) group_left(x, y) c)pql", R"pql(a - on (b) group_left (x, y) c)pql"},
    {R"pql(a - on(b) group_left c)pql", R"pql(a - on (b) group_left () c)pql"},
    {R"pql(a - on(b) group_left() (c))pql", R"pql(a - on (b) group_left () (c))pql"},
    {R"pql(a - ignoring(b) c)pql", R"pql(a - ignoring (b) c)pql"},
    {R"pql(a - ignoring() c)pql", R"pql(a - c)pql"},
    {R"pql(a - ignoring() group_left c)pql", R"pql(a - ignoring () group_left () c)pql"},
    {R"pql(a + fill(-23) b)pql", R"pql(a + fill (-23) b)pql"},
    {R"pql(a + fill_left(-23) b)pql", R"pql(a + fill_left (-23) b)pql"},
    {R"pql(a + fill_right(42) b)pql", R"pql(a + fill_right (42) b)pql"},
    {R"pql(a + fill_left(-23) fill_right(42) b)pql",
     R"pql(a + fill_left (-23) fill_right (42) b)pql"},
    {R"pql(a + fill_left(5) fill_right(5) b)pql", R"pql(a + fill (5) b)pql"},
    {R"pql(a + on(b) group_left fill(-23) c)pql", R"pql(a + on (b) group_left () fill (-23) c)pql"},
    {R"pql(up > bool 0)pql", nullptr},
    {R"pql(a offset 1m)pql", nullptr},
    {R"pql(a offset -7m)pql", nullptr},
    {R"pql(a{c="d"}[5m] offset 1m)pql", nullptr},
    {R"pql(a[5m] offset 1m)pql", nullptr},
    {R"pql(a[12m] offset -3m)pql", nullptr},
    {R"pql(a[1h:5m] offset 1m)pql", nullptr},
    {R"pql(a anchored)pql", nullptr},
    {R"pql(a[5m] anchored)pql", nullptr},
    {R"pql(a{b="c"}[5m] anchored)pql", nullptr},
    {R"pql(a{b="c"}[5m] anchored offset 1m)pql", nullptr},
    {R"pql(a{b="c"}[5m] anchored @ start() offset 1m)pql", nullptr},
    {R"pql(a smoothed)pql", nullptr},
    {R"pql(a[5m] smoothed)pql", nullptr},
    {R"pql(a{b="c"}[5m] smoothed)pql", nullptr},
    {R"pql(a{b="c"}[5m] smoothed offset 1m)pql", nullptr},
    {R"pql(a{b="c"}[5m] smoothed @ start() offset 1m)pql", nullptr},
    {R"pql({__name__="a"})pql", nullptr},
    {R"pql(a{b!="c"}[1m])pql", nullptr},
    {R"pql(a{b=~"c"}[1m])pql", nullptr},
    {R"pql(a{b!~"c"}[1m])pql", nullptr},
    {R"pql(a @ 10)pql", R"pql(a @ 10.000)pql"},
    {R"pql(a[1m] @ 10)pql", R"pql(a[1m] @ 10.000)pql"},
    {R"pql(a @ start())pql", nullptr},
    {R"pql(a @ end())pql", nullptr},
    {R"pql(a[1m] @ start())pql", nullptr},
    {R"pql(a[1m] @ end())pql", nullptr},
    {R"pql({__name__="",a="x"})pql", nullptr},
    {R"pql({"a.b"="c"})pql", nullptr},
    {R"pql({"0"="1"})pql", nullptr},
    {R"pql({"_0"="1"})pql", R"pql({_0="1"})pql"},
    {R"pql({""="0"})pql", nullptr},
    {R"pql({``="0"})pql", R"pql({""="0"})pql"},
    {R"pql(1048576)pql", R"pql(1048576)pql"},
    {R"pql(foo[step()])pql", nullptr},
    {R"pql(foo[-step()])pql", nullptr},
    {R"pql(foo[(step())])pql", nullptr},
    {R"pql(foo[-(step())])pql", nullptr},
    {R"pql(foo offset step())pql", nullptr},
    {R"pql(foo offset -step())pql", nullptr},
    {R"pql(foo offset (step()))pql", nullptr},
    {R"pql(foo offset -(step()))pql", nullptr},
    {R"pql(foo offset +(5))pql", R"pql(foo offset (5))pql"},
    {R"pql(foo offset -(5))pql", nullptr},
    {R"pql(foo offset (5))pql", nullptr},
    {R"pql(foo offset (5m))pql", nullptr},
    {R"pql(foo[(5s)])pql", nullptr},
    {R"pql(foo[(5m):(1m)])pql", nullptr},
    {R"pql(foo offset +min_of(10s, 20s))pql", R"pql(foo offset min_of(10s, 20s))pql"},
    {R"pql(foo offset -min_of(10s, 20s))pql", nullptr},
    {R"pql(foo offset -min_of(10s, +max_of(step() ^ 2, 2)))pql",
     R"pql(foo offset -min_of(10s, max_of(step() ^ 2, 2)))pql"},
    {R"pql(foo[200-min_of(-step()^+step(),1)])pql",
     R"pql(foo[200 - min_of(-step() ^ step(), 1)])pql"},
    {R"pql(foo[200 - min_of(step() + 10s, -max_of(step() ^ 2, 3))])pql", nullptr},
    {R"pql(foo[range()])pql", nullptr},
    {R"pql(foo[-range()])pql", nullptr},
    {R"pql(foo offset range())pql", nullptr},
    {R"pql(foo offset -range())pql", nullptr},
    {R"pql(foo[max_of(range(), 5s)])pql", nullptr},
    {R"pql(predict_linear(foo[1h], 3000))pql", nullptr},
    {R"pql(sum by("üüü") (foo))pql", R"pql(sum by ("üüü") (foo))pql"},
    {R"pql(sum without("äää") (foo))pql", R"pql(sum without ("äää") (foo))pql"},
    {R"pql(count by("ööö", job) (foo))pql", R"pql(count by ("ööö", job) (foo))pql"},
    {R"pql(foo / on("äää") bar)pql", R"pql(foo / on ("äää") bar)pql"},
    {R"pql(foo / ignoring("üüü") bar)pql", R"pql(foo / ignoring ("üüü") bar)pql"},
    {R"pql(foo / on("äää") group_left("ööö") bar)pql",
     R"pql(foo / on ("äää") group_left ("ööö") bar)pql"},
    {R"pql(foo / on("äää") group_right("ööö") bar)pql",
     R"pql(foo / on ("äää") group_right ("ööö") bar)pql"},
    {R"pql(foo / on(legacy, "üüü") bar)pql", R"pql(foo / on (legacy, "üüü") bar)pql"},
    {R"pql(foo / on(job, instance) bar)pql", R"pql(foo / on (job, instance) bar)pql"},
};

// Pairs of Prometheus' prettier_test.go, formatted with a 10-character line limit.
const PrintCase kPromPrettyCases[] = {
    {R"pql(sum(foo))pql", R"pql(sum(foo))pql"},
    {R"pql(sum by() (task:errors:rate10s{job="s"}))pql",
     "sum(\012  task:errors:rate10s{job=\042s\042}\012)"},
    {R"pql(sum without(job,foo) (task:errors:rate10s{job="s"}))pql",
     "sum without (job, foo) (\012  task:errors:rate10s{job=\042s\042}\012)"},
    {R"pql(sum(task:errors:rate10s{job="s"}) without(job,foo))pql",
     "sum without (job, foo) (\012  task:errors:rate10s{job=\042s\042}\012)"},
    {R"pql(sum by(job,foo) (task:errors:rate10s{job="s"}))pql",
     "sum by (job, foo) (\012  task:errors:rate10s{job=\042s\042}\012)"},
    {R"pql(sum (task:errors:rate10s{job="s"}) by(job,foo))pql",
     "sum by (job, foo) (\012  task:errors:rate10s{job=\042s\042}\012)"},
    {R"pql(topk(10, ask:errors:rate10s{job="s"}))pql",
     "topk(\012  10,\012  ask:errors:rate10s{job=\042s\042}\012)"},
    {R"pql(sum by(job,foo) (sum by(job,foo) (task:errors:rate10s{job="s"})))pql",
     "sum by (job, foo) (\012  sum by (job, foo) (\012    task:errors:rate10s{job=\042s\042}\012  "
     ")\012)"},
    {R"pql(sum by(job,foo) (sum by(job,foo) (sum by(job,foo) (task:errors:rate10s{job="s"}))))pql",
     "sum by (job, foo) (\012  sum by (job, foo) (\012    sum by (job, foo) (\012      "
     "task:errors:rate10s{job=\042s\042}\012    )\012  )\012)"},
    {"sum by(job,foo)\012(sum by(job,foo) (task:errors:rate10s{job=\042s\042}))",
     "sum by (job, foo) (\012  sum by (job, foo) (\012    task:errors:rate10s{job=\042s\042}\012  "
     ")\012)"},
    {"sum by(job,foo)\012(sum(task:errors:rate10s{job=\042s\042}) without(job,foo))",
     "sum by (job, foo) (\012  sum without (job, foo) (\012    "
     "task:errors:rate10s{job=\042s\042}\012  )\012)"},
    {"sum by(job,foo) # Comment 1.\012(sum by(job,foo) ( # Comment "
     "2.\012task:errors:rate10s{job=\042s\042}))",
     "sum by (job, foo) (\012  sum by (job, foo) (\012    task:errors:rate10s{job=\042s\042}\012  "
     ")\012)"},
    {R"pql(a+b)pql", R"pql(a + b)pql"},
    {R"pql(a == bool 1)pql", "  a\012== bool\012  1"},
    {R"pql(a + ignoring(job) b)pql", "  a\012+ ignoring (job)\012  b"},
    {R"pql(foo_1 + foo_2)pql", "  foo_1\012+\012  foo_2"},
    {R"pql(foo_1 + foo_2 + foo_3)pql", "    foo_1\012  +\012    foo_2\012+\012  foo_3"},
    {R"pql(foo + baar + foo_3)pql", "  foo + baar\012+\012  foo_3"},
    {R"pql(foo_1 + foo_2 + foo_3 + foo_4)pql",
     "      foo_1\012    +\012      foo_2\012  +\012    foo_3\012+\012  foo_4"},
    {R"pql(foo_1 + ignoring(foo) foo_2 + ignoring(job) group_left foo_3 + on(instance) group_right foo_4)pql",
     "      foo_1\012    + ignoring (foo)\012      foo_2\012  + ignoring (job) group_left ()\012   "
     " foo_3\012+ on (instance) group_right ()\012  foo_4"},
    {R"pql(rate(foo[1m]))pql", "rate(\012  foo[1m]\012)"},
    {R"pql(sum_over_time(foo[1m]))pql", "sum_over_time(\012  foo[1m]\012)"},
    {R"pql(rate(long_vector_selector[10m:1m] @ start() offset 1m))pql",
     "rate(\012  long_vector_selector[10m:1m] @ start() offset 1m\012)"},
    {R"pql(histogram_quantile(0.9, rate(foo[1m])))pql",
     "histogram_quantile(\012  0.9,\012  rate(\012    foo[1m]\012  )\012)"},
    {R"pql(max_over_time(rate(demo_api_request_duration_seconds_count[1m])[1m:] @ start() offset 1m))pql",
     "max_over_time(\012  rate(\012    demo_api_request_duration_seconds_count[1m]\012  )[1m:] @ "
     "start() offset 1m\012)"},
    {R"pql(label_replace(up{job="api-server",service="a:c"}, "foo", "$1", "service", "(.*):.*"))pql",
     "label_replace(\012  up{job=\042api-server\042,service=\042a:c\042},\012  \042foo\042,\012  "
     "\042$1\042,\012  \042service\042,\012  \042(.*):.*\042\012)"},
    {R"pql(label_replace(label_replace(up{job="api-server",service="a:c"}, "foo", "$1", "service", "(.*):.*"), "foo", "$1", "service", "(.*):.*"))pql",
     "label_replace(\012  label_replace(\012    "
     "up{job=\042api-server\042,service=\042a:c\042},\012    \042foo\042,\012    \042$1\042,\012   "
     " \042service\042,\012    \042(.*):.*\042\012  ),\012  \042foo\042,\012  \042$1\042,\012  "
     "\042service\042,\012  \042(.*):.*\042\012)"},
    {R"pql((foo))pql", R"pql((foo))pql"},
    {R"pql((_foo_long_))pql", "(\012  _foo_long_\012)"},
    {R"pql(((foo_long)))pql", "(\012  (foo_long)\012)"},
    {R"pql(((_foo_long_)))pql", "(\012  (\012    _foo_long_\012  )\012)"},
    {R"pql((((foo_long))))pql", "(\012  (\012    (foo_long)\012  )\012)"},
    {R"pql(a @ 1)pql", R"pql(a @ 1.000)pql"},
    {R"pql(a @ start())pql", R"pql(a @ start())pql"},
    {R"pql(vector_selector @ start())pql", R"pql(vector_selector @ start())pql"},
    {R"pql((1 + 2))pql", R"pql((1 + 2))pql"},
    {R"pql((foo + bar))pql", "(\012  foo + bar\012)"},
    {R"pql((foo_long + bar_long))pql", "(\012    foo_long\012  +\012    bar_long\012)"},
    {R"pql((foo_long + bar_long + bar_2_long))pql",
     "(\012      foo_long\012    +\012      bar_long\012  +\012    bar_2_long\012)"},
    {R"pql(((foo_long + bar_long) + bar_2_long))pql",
     "(\012    (\012        foo_long\012      +\012        bar_long\012    )\012  +\012    "
     "bar_2_long\012)"},
    {R"pql((1111 + 2222))pql", "(\012    1111\012  +\012    2222\012)"},
    {R"pql((sum_over_time(foo[1m])))pql", "(\012  sum_over_time(\012    foo[1m]\012  )\012)"},
    {R"pql(histogram_quantile(0.9, rate(foo[1m] @ start())))pql",
     "histogram_quantile(\012  0.9,\012  rate(\012    foo[1m] @ start()\012  )\012)"},
    {R"pql((label_replace(up{job="api-server",service="a:c"}, "foo", "$1", "service", "(.*):.*")))pql",
     "(\012  label_replace(\012    up{job=\042api-server\042,service=\042a:c\042},\012    "
     "\042foo\042,\012    \042$1\042,\012    \042service\042,\012    \042(.*):.*\042\012  )\012)"},
    {R"pql((label_replace(label_replace(up{job="api-server",service="a:c"}, "foo", "$1", "service", "(.*):.*"), "foo", "$1", "service", "(.*):.*")))pql",
     "(\012  label_replace(\012    label_replace(\012      "
     "up{job=\042api-server\042,service=\042a:c\042},\012      \042foo\042,\012      "
     "\042$1\042,\012      \042service\042,\012      \042(.*):.*\042\012    ),\012    "
     "\042foo\042,\012    \042$1\042,\012    \042service\042,\012    \042(.*):.*\042\012  )\012)"},
    {R"pql((label_replace(label_replace((up{job="api-server",service="a:c"}), "foo", "$1", "service", "(.*):.*"), "foo", "$1", "service", "(.*):.*")))pql",
     "(\012  label_replace(\012    label_replace(\012      (\012        "
     "up{job=\042api-server\042,service=\042a:c\042}\012      ),\012      \042foo\042,\012      "
     "\042$1\042,\012      \042service\042,\012      \042(.*):.*\042\012    ),\012    "
     "\042foo\042,\012    \042$1\042,\012    \042service\042,\012    \042(.*):.*\042\012  )\012)"},
    {R"pql((node_filesystem_avail_bytes{job="node",fstype!=""} / node_filesystem_size_bytes{job="node",fstype!=""} * 100 < 40 and predict_linear(node_filesystem_avail_bytes{job="node",fstype!=""}[6h], 24*60*60) < 0 and node_filesystem_readonly{job="node",fstype!=""} == 0))pql",
     "(\012            node_filesystem_avail_bytes{fstype!=\042\042,job=\042node\042}\012          "
     "/\012            node_filesystem_size_bytes{fstype!=\042\042,job=\042node\042}\012        "
     "*\012          100\012      <\012        40\012    and\012        predict_linear(\012        "
     "  node_filesystem_avail_bytes{fstype!=\042\042,job=\042node\042}[6h],\012            24 * "
     "60\012          *\012            60\012        )\012      <\012        0\012  and\012      "
     "node_filesystem_readonly{fstype!=\042\042,job=\042node\042}\012    ==\012      0\012)"},
    {R"pql((node_filesystem_avail_bytes{job="node",fstype!=""} / node_filesystem_size_bytes{job="node",fstype!=""} * 100 < 20 and predict_linear(node_filesystem_avail_bytes{job="node",fstype!=""}[6h], 4*60*60) < 0 and node_filesystem_readonly{job="node",fstype!=""} == 0))pql",
     "(\012            node_filesystem_avail_bytes{fstype!=\042\042,job=\042node\042}\012          "
     "/\012            node_filesystem_size_bytes{fstype!=\042\042,job=\042node\042}\012        "
     "*\012          100\012      <\012        20\012    and\012        predict_linear(\012        "
     "  node_filesystem_avail_bytes{fstype!=\042\042,job=\042node\042}[6h],\012            4 * "
     "60\012          *\012            60\012        )\012      <\012        0\012  and\012      "
     "node_filesystem_readonly{fstype!=\042\042,job=\042node\042}\012    ==\012      0\012)"},
    {R"pql((node_timex_offset_seconds > 0.05 and deriv(node_timex_offset_seconds[5m]) >= 0) or (node_timex_offset_seconds < -0.05 and deriv(node_timex_offset_seconds[5m]) <= 0))pql",
     "  (\012        node_timex_offset_seconds\012      >\012        0.05\012    and\012        "
     "deriv(\012          node_timex_offset_seconds[5m]\012        )\012      >=\012        0\012  "
     ")\012or\012  (\012        node_timex_offset_seconds\012      <\012        -0.05\012    "
     "and\012        deriv(\012          node_timex_offset_seconds[5m]\012        )\012      "
     "<=\012        0\012  )"},
    {R"pql(1 - ((node_memory_MemAvailable_bytes{job="node"} or (node_memory_Buffers_bytes{job="node"} + node_memory_Cached_bytes{job="node"} + node_memory_MemFree_bytes{job="node"} + node_memory_Slab_bytes{job="node"}) ) / node_memory_MemTotal_bytes{job="node"}))pql",
     "  1\012-\012  (\012      (\012          node_memory_MemAvailable_bytes{job=\042node\042}\012 "
     "       or\012          (\012                  "
     "node_memory_Buffers_bytes{job=\042node\042}\012                +\012                  "
     "node_memory_Cached_bytes{job=\042node\042}\012              +\012                "
     "node_memory_MemFree_bytes{job=\042node\042}\012            +\012              "
     "node_memory_Slab_bytes{job=\042node\042}\012          )\012      )\012    /\012      "
     "node_memory_MemTotal_bytes{job=\042node\042}\012  )"},
    {R"pql(min by (job, integration) (rate(alertmanager_notifications_failed_total{job="alertmanager", integration=~".*"}[5m]) / rate(alertmanager_notifications_total{job="alertmanager", integration="~.*"}[5m])) > 0.01)pql",
     "  min by (job, integration) (\012      rate(\012        "
     "alertmanager_notifications_failed_total{integration=~\042.*\042,job=\042alertmanager\042}[5m]"
     "\012      )\012    /\012      rate(\012        "
     "alertmanager_notifications_total{integration=\042~.*\042,job=\042alertmanager\042}[5m]\012   "
     "   )\012  )\012>\012  0.01"},
    {R"pql((count by (job) (changes(process_start_time_seconds{job="alertmanager"}[10m]) > 4) / count by (job) (up{job="alertmanager"})) >= 0.5)pql",
     "  (\012      count by (job) (\012          changes(\012            "
     "process_start_time_seconds{job=\042alertmanager\042}[10m]\012          )\012        >\012    "
     "      4\012      )\012    /\012      count by (job) (\012        "
     "up{job=\042alertmanager\042}\012      )\012  )\012>=\012  0.5"},
    {R"pql(-1)pql", R"pql(-1)pql"},
    {R"pql(-vector_selector)pql", R"pql(-vector_selector)pql"},
    {R"pql((-vector_selector))pql", "(\012  -vector_selector\012)"},
    {R"pql(-histogram_quantile(0.9,rate(foo[1m])))pql",
     "-histogram_quantile(\012  0.9,\012  rate(\012    foo[1m]\012  )\012)"},
    {R"pql(-histogram_quantile(0.99, sum by (le) (rate(foo[1m]))))pql",
     "-histogram_quantile(\012  0.99,\012  sum by (le) (\012    rate(\012      foo[1m]\012    "
     ")\012  )\012)"},
    {R"pql(-histogram_quantile(0.9, -rate(foo[1m] @ start())))pql",
     "-histogram_quantile(\012  0.9,\012  -rate(\012    foo[1m] @ start()\012  )\012)"},
    {R"pql((-histogram_quantile(0.9, -rate(foo[1m] @ start()))))pql",
     "(\012  -histogram_quantile(\012    0.9,\012    -rate(\012      foo[1m] @ start()\012    "
     ")\012  )\012)"},
    {R"pql(rate(foo[2*1h]))pql", "rate(\012  foo[2 * 1h]\012)"},
    {R"pql(rate(foo[2*1h]))pql", "rate(\012  foo[2 * 1h]\012)"},
    {R"pql(rate(foo[-5m+35m]))pql", "rate(\012  foo[-5m + 35m]\012)"},
};

TEST(PrinterTest, PrometheusExprStringCases) {
  ParseOptions o;
  o.experimental_duration_expr = true;
  o.enable_extended_range_selectors = true;
  o.enable_binop_fill_modifiers = true;
  for (const auto& c : kPromPrintCases) {
    SCOPED_TRACE(c.in);
    auto r = ParseExpr(c.in, o);
    ASSERT_TRUE(r) << Err(r);
    EXPECT_EQ(ToString(**r), c.out ? c.out : std::string(c.in));
  }
}

TEST(PrinterTest, PrometheusPrettyCases) {
  ParseOptions o;
  o.experimental_duration_expr = true;
  for (const auto& c : kPromPrettyCases) {
    SCOPED_TRACE(c.in);
    auto r = ParseExpr(c.in, o);
    ASSERT_TRUE(r) << Err(r);
    EXPECT_EQ(Prettify(**r, 10), c.out);
    // A prettified query parses back to the same query.
    auto again = ParseExpr(Prettify(**r, 10), o);
    ASSERT_TRUE(again) << Err(again);
    EXPECT_EQ(ToString(**again), ToString(**r));
  }
}

TEST(PrinterTest, PrettifyDefaultWidth) {
  auto r = ParseExpr(
      "sum by (job) (rate(http_requests_total{code=\"500\"}[5m])) / sum by (job) "
      "(rate(http_requests_total[5m]))");
  ASSERT_TRUE(r) << Err(r);
  EXPECT_EQ(Prettify(**r),
            "  sum by (job) (rate(http_requests_total{code=\"500\"}[5m]))\n"
            "/\n"
            "  sum by (job) (rate(http_requests_total[5m]))");
  auto s = ParseExpr("up");
  ASSERT_TRUE(s);
  EXPECT_EQ(Prettify(**s), "up");
}

TEST(PrinterTest, FormatDuration) {
  const struct {
    int64_t ms;
    std::string_view want;
  } cases[] = {
      {0, "0s"},
      {1, "1ms"},
      {999, "999ms"},
      {1000, "1s"},
      {1500, "1s500ms"},
      {60000, "1m"},
      {90000, "1m30s"},
      {3600000, "1h"},
      {5400000, "1h30m"},
      {86400000, "1d"},
      {7 * 86400000LL, "1w"},
      {8 * 86400000LL, "8d"},
      {14 * 86400000LL, "2w"},
      {365 * 86400000LL, "1y"},
      {366 * 86400000LL, "366d"},
      {730 * 86400000LL, "2y"},
      {90 * 86400000LL, "90d"},
      {86400000LL + 1, "1d1ms"},
      {-60000, "-1m"},
      {-1500, "-1s500ms"},
  };
  for (const auto& c : cases) EXPECT_EQ(FormatDuration(c.ms), c.want) << c.ms;
}

TEST(PrinterTest, FormatNumber) {
  const struct {
    double v;
    std::string_view want;
  } cases[] = {
      {0, "0"},
      {-0.0, "-0"},
      {1, "1"},
      {-1, "-1"},
      {0.5, "0.5"},
      {0.1, "0.1"},
      {1.0 / 3, "0.3333333333333333"},
      {1e21, "1000000000000000000000"},
      {1e-7, "0.0000001"},
      {123456.789, "123456.789"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::nan(""), "NaN"},
  };
  for (const auto& c : cases) EXPECT_EQ(FormatNumber(c.v), c.want) << c.v;
}

TEST(PrinterTest, FormatFloatV) {
  const struct {
    double v;
    std::string_view want;
  } cases[] = {
      {0, "0"},
      {-0.0, "-0"},
      {1, "1"},
      {-23, "-23"},
      {0.5, "0.5"},
      {100000, "100000"},
      {1000000, "1e+06"},
      {1234567, "1.234567e+06"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {1.5e-300, "1.5e-300"},
      {1e100, "1e+100"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::nan(""), "NaN"},
  };
  for (const auto& c : cases) EXPECT_EQ(FormatFloatV(c.v), c.want) << c.v;
}

TEST(PrinterTest, LabelNamesAndStrings) {
  EXPECT_EQ(FormatLabelName("job"), "job");
  EXPECT_EQ(FormatLabelName("_0"), "_0");
  EXPECT_EQ(FormatLabelName("0a"), "\"0a\"");
  EXPECT_EQ(FormatLabelName("a.b"), "\"a.b\"");
  EXPECT_EQ(FormatLabelName(""), "\"\"");
  EXPECT_EQ(FormatLabelName("äöü"), "\"äöü\"");
  // Matchers print sorted, values quoted like Go's strconv.Quote.
  auto r = ParseExpr(R"(foo{z="a\nb", "a.b"=~"x", _c!~'\x00'})");
  ASSERT_TRUE(r) << Err(r);
  EXPECT_EQ(ToString(**r), R"(foo{"a.b"=~"x",_c!~"\x00",z="a\nb"})");
}

// Printing then parsing is a fixed point for a mix of constructs.
TEST(PrinterTest, RoundTrip) {
  const std::string_view cases[] = {
      R"(sum by (a, "b.c") (rate(x{y=~"a|b", "z.w"!="1"}[5m] offset -1m @ start())) > bool on (a) group_left (d) fill (0) y)",
      "histogram_quantile(0.99, sum by (le) (rate(x_bucket[1h:5m] @ 1000.123 offset 1d)))",
      "-(a + b) ^ -2 atan2 c % -d",
      "foo[step() * 2 + max_of(range(), 1m):(30s)] offset -(1m) ",
      "label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\") unless on () vector(1)",
      "topk(3, x) or bottomk by (a) (2, y) and limit_ratio(0.5, z)",
      "count_values without (a) (\"v\", x anchored) - x smoothed",
  };
  for (std::string_view in : cases) {
    SCOPED_TRACE(in);
    auto r = ParseExpr(in, ParseOptions::AllEnabled());
    ASSERT_TRUE(r) << Err(r);
    std::string once = ToString(**r);
    auto again = ParseExpr(once, ParseOptions::AllEnabled());
    ASSERT_TRUE(again) << once << ": " << Err(again);
    EXPECT_EQ(ToString(**again), once);
    std::string pretty = Prettify(**r, 20);
    auto p = ParseExpr(pretty, ParseOptions::AllEnabled());
    ASSERT_TRUE(p) << pretty << ": " << Err(p);
    EXPECT_EQ(ToString(**p), once);
  }
}

}  // namespace
}  // namespace vigil::promql::parser
