// performWithRetry. See retry.h.
#include "common/http/retry.h"

#include <algorithm>
#include <random>

#include "common/error.h"
#include "common/log.h"

namespace pgark::http {

bool retryableStatus(int status) noexcept { return status == 429 || (status >= 500 && status <= 599); }

namespace {

std::chrono::milliseconds backoff(const RetryPolicy& policy, unsigned retry) {
    // The seed only spreads workers apart; it needs no quality and no reproducibility.
    thread_local std::minstd_rand random{std::random_device{}()};
    const auto doubled = policy.initialDelay.count() << std::min(retry, 20U);
    const auto capped = std::min<std::int64_t>(doubled, policy.maxDelay.count());
    std::uniform_real_distribution<double> factor(0.5, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(capped) * factor(random)));
}

}  // namespace

HttpResponse performWithRetry(HttpTransport& transport, const std::function<HttpRequest()>& build,
                              const RetryPolicy& policy, Clock& clock, std::string_view what) {
    const unsigned attempts = std::max(policy.attempts, 1U);
    for (unsigned attempt = 1;; ++attempt) {
        std::string reason;
        try {
            HttpResponse response = transport.perform(build());
            if (!retryableStatus(response.status) || attempt == attempts) return response;
            reason = fmt::format("HTTP {}{}{}", response.status, response.reason.empty() ? "" : " ", response.reason);
        } catch (const Error& error) {
            if (!error.retryable() || attempt == attempts) throw;
            reason = error.message();
        }
        const auto delay = backoff(policy, attempt - 1);
        log::detail("retry {}/{} of {} in {} ms after: {}", attempt, attempts - 1, what, delay.count(), reason);
        clock.sleep(delay);
    }
}

}  // namespace pgark::http
