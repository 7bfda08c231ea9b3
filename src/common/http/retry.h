// Retrying HTTP requests: which failures are worth another try, and the back-off between tries.
// Retried: 5xx, 429 and S3's 503 SlowDown, and transport errors marked retryable (connection
// refused or reset, timeouts). Never retried: any other 4xx (a wrong key stays wrong) and
// transport errors that cannot heal (TLS verification). The delay doubles from `initialDelay` up
// to `maxDelay`, each one scaled by a random factor in [0.5, 1] (jitter), so that many workers
// throttled at once do not come back in step. Every retry is logged at detail level.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include "common/clock.h"
#include "common/http/http.h"

namespace pgark::http {

struct RetryPolicy {
    unsigned attempts = 5;                              // tries in all, the first included
    std::chrono::milliseconds initialDelay{100};
    std::chrono::milliseconds maxDelay{5'000};
};

bool retryableStatus(int status) noexcept;

// Sends build() until a response that is not retryable, or the last attempt's response or error.
// build() is called again for each try, so a signature (which holds the time) is fresh.
// `what` names the request in the log ("GET /bucket/key"); it must not hold credentials.
HttpResponse performWithRetry(HttpTransport& transport, const std::function<HttpRequest()>& build,
                              const RetryPolicy& policy, Clock& clock, std::string_view what);

}  // namespace pgark::http
