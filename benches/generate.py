#!/usr/bin/env python3
"""Generate a realistic hindsight archive repository for benchmarks.

    python3 benches/generate.py --count N --out DIR [--seed S]

writes into DIR:

    hindsight.toml              title, base_url, severities sev1..sev4,
                                a catalogue of 50 services, [check] tags (200)
    content/postmortems/*.md    N postmortems, <YYYY-MM-DD>-<words>-<n>.md
    content/premortems/*.md     max(2, round(N / 100)) premortems with risks

The output depends only on --count and --seed (Python standard library only,
no set iteration, no clock): the same arguments give byte-identical files.
Every document passes the rules of `hindsight check` (issue 3): required
fields, values inside their sets, incident times in order, no date after
2026-11-01, unique lower-case slugs, premortem/risk/related references and
Markdown links to content files that exist, timelines in chronological order
in one zone, publication 1-7 days after resolution, no blame phrases.
"""

import argparse
import bisect
import datetime as dt
import os
import random
import shutil
import sys
import time

# --------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------

# id, name, description, owner, tier, area tags (all in TAGS)
SERVICES = [
    ("deployer-api", "Deployer API", "Entry point for managing container services", "platform-team", 1, ["ci-cd", "kubernetes"]),
    ("auth-gateway", "Auth Gateway", "Authenticates every external request and issues session tokens", "identity-team", 1, ["authentication", "api"]),
    ("user-profile", "User Profile Service", "Stores and serves user profiles and preferences", "identity-team", 2, ["identity", "postgres"]),
    ("billing-ledger", "Billing Ledger", "Double-entry ledger for invoices, credits and refunds", "billing-team", 1, ["billing", "postgres"]),
    ("payments-router", "Payments Router", "Routes card and bank payments to the acquiring processors", "payments-team", 1, ["payments", "third-party"]),
    ("checkout-web", "Checkout Web", "Server-rendered checkout flow for web and mobile web", "growth-team", 1, ["checkout", "web"]),
    ("search-indexer", "Search Indexer", "Consumes catalogue changes and builds the search indices", "search-team", 2, ["search", "elasticsearch"]),
    ("search-query", "Search Query API", "Answers product and help-centre search queries", "search-team", 1, ["search", "api"]),
    ("notification-dispatcher", "Notification Dispatcher", "Fans out push, email and in-app notifications", "messaging-team", 2, ["notifications", "kafka"]),
    ("email-relay", "Email Relay", "Outbound SMTP relay with per-tenant reputation tracking", "messaging-team", 2, ["email", "third-party"]),
    ("sms-gateway", "SMS Gateway", "Sends one-time codes and alerts through two SMS vendors", "messaging-team", 2, ["sms", "third-party"]),
    ("cdn-edge", "CDN Edge", "Edge caching and TLS termination for static and API traffic", "edge-team", 1, ["cdn", "tls"]),
    ("dns-authoritative", "Authoritative DNS", "Serves the public and internal DNS zones", "networking-team", 1, ["dns", "networking"]),
    ("load-balancer", "Load Balancer Fleet", "Layer 7 load balancers in front of every public service", "networking-team", 1, ["networking", "haproxy"]),
    ("service-mesh", "Service Mesh", "Sidecar proxies, mTLS and traffic policy between services", "networking-team", 1, ["envoy", "networking"]),
    ("config-store", "Config Store", "Versioned runtime configuration pushed to every service", "platform-team", 1, ["etcd", "config-change"]),
    ("feature-flags", "Feature Flags", "Flag evaluation service and SDK backend", "platform-team", 2, ["feature-flag", "api"]),
    ("metrics-pipeline", "Metrics Pipeline", "Ingests, aggregates and stores time series", "observability-team", 2, ["observability", "monitoring"]),
    ("log-ingest", "Log Ingest", "Collects and indexes application and audit logs", "observability-team", 2, ["logging", "elasticsearch"]),
    ("tracing-collector", "Tracing Collector", "Receives and samples distributed traces", "observability-team", 3, ["tracing", "observability"]),
    ("alert-manager", "Alert Manager", "Routes alerts to on-call rotations and chat", "observability-team", 1, ["paging", "monitoring"]),
    ("event-bus", "Event Bus", "The shared Kafka clusters for domain events", "data-team", 1, ["kafka", "data-pipeline"]),
    ("orders-db", "Orders Database", "Primary PostgreSQL cluster for orders and carts", "storage-team", 1, ["postgres", "storage"]),
    ("object-storage", "Object Storage", "S3-compatible blob storage for uploads and backups", "storage-team", 1, ["s3", "storage"]),
    ("image-resizer", "Image Resizer", "On-the-fly thumbnails and image format conversion", "media-team", 3, ["cdn", "web"]),
    ("video-transcoder", "Video Transcoder", "Batch transcoding of uploaded videos", "media-team", 3, ["batch-job", "storage"]),
    ("recommendation-engine", "Recommendation Engine", "Ranks products for the home and product pages", "data-team", 2, ["recommendations", "machine-learning"]),
    ("inventory-service", "Inventory Service", "Stock levels and reservations per warehouse", "commerce-team", 1, ["inventory", "mysql"]),
    ("order-service", "Order Service", "Creates orders and drives their state machine", "commerce-team", 1, ["api", "postgres"]),
    ("shipping-estimator", "Shipping Estimator", "Delivery dates and shipping prices per carrier", "commerce-team", 2, ["shipping", "third-party"]),
    ("pricing-engine", "Pricing Engine", "Computes prices, discounts and promotions", "commerce-team", 1, ["pricing", "redis"]),
    ("tax-calculator", "Tax Calculator", "Sales tax and VAT per jurisdiction", "billing-team", 2, ["tax", "third-party"]),
    ("fraud-scoring", "Fraud Scoring", "Scores payments and sign-ups for fraud risk", "payments-team", 1, ["fraud", "machine-learning"]),
    ("session-store", "Session Store", "Redis clusters holding web and mobile sessions", "identity-team", 1, ["sessions", "redis"]),
    ("rate-limiter", "Rate Limiter", "Global request quotas per API key and IP", "edge-team", 1, ["rate-limiting", "redis"]),
    ("api-gateway", "API Gateway", "Public REST and GraphQL entry point", "edge-team", 1, ["api", "nginx"]),
    ("mobile-backend", "Mobile Backend", "Aggregation layer for the iOS and Android apps", "mobile-team", 2, ["mobile", "api"]),
    ("webhooks-delivery", "Webhooks Delivery", "Delivers signed webhooks to customer endpoints", "platform-team", 2, ["webhooks", "retry-storm"]),
    ("job-scheduler", "Job Scheduler", "Cron-like scheduling of batch and maintenance jobs", "platform-team", 2, ["scheduler", "cron"]),
    ("batch-etl", "Batch ETL", "Nightly extract, transform and load jobs", "data-team", 3, ["data-pipeline", "batch-job"]),
    ("data-warehouse", "Data Warehouse", "Analytical warehouse behind reporting and finance", "data-team", 2, ["analytics", "bigquery"]),
    ("analytics-collector", "Analytics Collector", "Receives client-side analytics events", "data-team", 3, ["analytics", "kafka"]),
    ("secrets-vault", "Secrets Vault", "Issues and rotates credentials for services", "security-team", 1, ["vault", "security"]),
    ("ci-runners", "CI Runners", "Autoscaled build and test runners", "developer-productivity", 2, ["ci-cd", "build"]),
    ("artifact-registry", "Artifact Registry", "Container images and language packages", "developer-productivity", 1, ["docker", "build"]),
    ("build-cache", "Build Cache", "Remote cache for compiled artifacts", "developer-productivity", 3, ["build", "storage"]),
    ("k8s-control-plane", "Kubernetes Control Plane", "API servers, schedulers and etcd for the clusters", "platform-team", 1, ["kubernetes", "etcd"]),
    ("identity-directory", "Identity Directory", "Employee accounts, groups and single sign-on", "security-team", 1, ["identity", "access-control"]),
    ("support-portal", "Support Portal", "Ticketing and help-centre for customers", "support-tools-team", 3, ["support", "web"]),
    ("status-page", "Status Page", "Public status page and incident notifications", "sre-team", 2, ["status-page", "communication"]),
]

TAGS = [
    # platforms and tools
    "aws", "gcp", "azure", "on-prem", "kubernetes", "ecs", "ec2", "s3", "rds", "dynamodb",
    "lambda", "cloudfront", "route53", "terraform", "helm", "ansible", "docker", "containerd",
    "nomad", "consul", "vault", "istio", "envoy", "nginx", "haproxy", "linux-kernel", "systemd",
    "ntp", "bgp", "vpc",
    # data stores
    "postgres", "mysql", "redis", "memcached", "cassandra", "elasticsearch", "kafka", "rabbitmq",
    "zookeeper", "etcd", "mongodb", "sqlite", "clickhouse", "bigquery", "snowflake",
    # what happened
    "outage", "degradation", "latency", "error-rate", "data-loss", "data-corruption",
    "data-inconsistency", "partial-outage", "brownout", "cascading-failure", "thundering-herd",
    "retry-storm", "cache-stampede", "split-brain", "deadlock", "memory-leak", "cpu-saturation",
    "disk-full", "inode-exhaustion", "file-descriptor-exhaustion", "connection-pool-exhaustion",
    "thread-starvation", "gc-pauses", "oom-kill", "crash-loop", "hot-partition", "replication-lag",
    "consumer-lag", "queue-backlog", "timeout", "clock-skew", "leap-second", "dns-resolution",
    "certificate-expiry", "tls", "expired-credentials", "quota-exhaustion", "rate-limiting",
    "throttling", "capacity", "traffic-spike", "ddos", "bot-traffic", "noisy-neighbor",
    "network-partition", "packet-loss", "mtu", "ipv6",
    # what triggered it
    "config-change", "manual-change", "bad-deploy", "rollback", "schema-migration",
    "feature-flag", "dependency-upgrade", "library-upgrade", "os-upgrade", "kernel-upgrade",
    "certificate-rotation", "secret-rotation", "infrastructure-as-code", "failover",
    "maintenance-window", "vendor-outage", "third-party", "upstream-dependency",
    "hardware-failure", "disk-failure", "power", "datacenter", "region-failure", "zone-failure",
    "cron", "batch-job", "backfill", "data-migration", "index-rebuild", "vacuum", "compaction",
    "autoscaling", "scale-down", "deployment-pipeline", "canary", "blue-green",
    # detection
    "alerting-gap", "monitoring", "slo-burn", "customer-reported", "synthetic-monitoring",
    "paging", "on-call", "runbook", "dashboards", "logging", "tracing", "observability",
    # areas
    "payments", "billing", "checkout", "search", "notifications", "email", "sms", "mobile",
    "web", "api", "authentication", "authorization", "identity", "sessions", "storage", "cdn",
    "dns", "networking", "ci-cd", "build", "security", "privacy", "compliance", "pci",
    "data-pipeline", "analytics", "machine-learning", "recommendations", "inventory",
    "shipping", "pricing", "tax", "fraud", "support", "status-page", "webhooks", "scheduler",
    # process
    "communication", "incident-command", "escalation", "handoff", "documentation",
    "testing-gap", "staging-parity", "load-testing", "chaos-engineering", "game-day", "launch",
    "migration", "deprecation", "tech-debt", "ownership", "toil", "automation",
    "access-control", "change-management", "peer-review", "release-freeze", "grpc",
]

SEVERITIES = [
    ("sev1", "SEV-1", "Critical: most customers affected"),
    ("sev2", "SEV-2", "Major: many customers or a critical feature affected"),
    ("sev3", "SEV-3", "Minor: some customers affected, a workaround exists"),
    ("sev4", "SEV-4", "Low: little or no customer impact"),
]

FIRST = ["alice", "bruno", "chen", "dana", "elif", "farah", "gabriel", "hana", "ivan", "jules",
         "kofi", "lena", "mateo", "nadia", "oscar", "priya", "quentin", "rosa", "sven", "tariq",
         "uma", "victor", "wen", "ximena", "yusuf", "zoe", "amara", "bjorn", "carmen", "dmitri",
         "esther", "felix", "grace", "hugo", "ines", "jonas", "keiko", "luis", "maya", "nils"]
LAST = ["nguyen", "okafor", "silva", "kowalski", "haddad", "tanaka", "moreau", "schmidt",
        "garcia", "ivanova", "mensah", "larsen", "rossi", "khan", "obrien", "park", "novak",
        "fischer", "costa", "yilmaz"]

TEAMS = []
for _s in SERVICES:
    if _s[3] not in TEAMS:
        TEAMS.append(_s[3])

# --------------------------------------------------------------------------
# Incident themes: what broke and why. Drives titles, tags, vocabulary, code.
# --------------------------------------------------------------------------

THEMES = [
    dict(key="cert-expiry", weight=4, slug=["certificate", "expiry"], tags=["certificate-expiry", "tls", "expired-credentials", "automation"],
         short="an expired TLS certificate", langs=["bash", "yaml", "hcl"],
         titles=["Expired TLS certificate took down {name}", "{name} outage caused by certificate expiry", "Certificate expiry on {name} endpoints"],
         cause=["The certificate served by {name} expired at {time} UTC because the renewal job had been failing silently for {k} weeks.",
                "Renewal relied on a cron job on a single host that was decommissioned during the {region} migration, and nothing else tracked the expiry date.",
                "The expiry alert existed but was routed to a mailing list that no longer had any members.",
                "Clients pinned the intermediate certificate, so the emergency certificate from a different chain was rejected by older mobile builds."],
         trigger=["The certificate reached its notAfter date; no change was deployed.",
                  "At {time} UTC the certificate on the {region} listeners expired and TLS handshakes began to fail."],
         fix=["We issued a new certificate through the ACME client by hand and reloaded the listeners in every region.",
              "The certificate bundle was pushed to the secrets store and the proxies picked it up on their next reload."]),
    dict(key="bad-config", weight=8, slug=["config", "push"], tags=["config-change", "feature-flag", "rollback", "change-management"],
         short="a faulty configuration push", langs=["yaml", "json", "bash"],
         titles=["Configuration push broke {name}", "{name} errors after a runtime configuration change", "Invalid config rolled out to {name}"],
         cause=["A configuration change set {cfg} to {n} for every instance instead of the canary group only.",
                "The configuration validator accepted the change because the schema allowed any integer for {cfg}.",
                "Runtime configuration bypasses the staged rollout that binaries go through, so the change reached all regions within {k} seconds.",
                "The change was reviewed, but the diff showed only the new value and not the effective configuration after inheritance."],
         trigger=["A routine configuration change to {name} was merged and pushed at {time} UTC.",
                  "An engineer enabled the {flag} flag for all tenants as part of the planned rollout."],
         fix=["We reverted the configuration change and forced a reload on every instance.",
              "The previous configuration version was pinned and further pushes to {name} were paused."]),
    dict(key="bad-deploy", weight=10, slug=["deploy", "errors"], tags=["bad-deploy", "rollback", "canary", "deployment-pipeline"],
         short="a faulty deploy", langs=["go", "python", "rust", "bash"],
         titles=["{name} errors after deploy of {ver}", "Release {ver} of {name} failed in production", "Bad deploy of {name} caused elevated errors"],
         cause=["Release {ver} changed the serialisation of {comp} responses, and older clients could not parse the new field order.",
                "A null check was removed during a refactor, so requests without a locale header raised an exception.",
                "The canary analysis compared error rates over {k} minutes, which was shorter than the cache expiry that hid the defect.",
                "The integration tests used a fixture that did not exercise the {comp} path taken by most production traffic."],
         trigger=["The deployment pipeline promoted {ver} from canary to all regions at {time} UTC.",
                  "A hotfix for an unrelated bug was deployed with a skipped canary stage."],
         fix=["We rolled back to the previous release and confirmed the error rate returned to baseline.",
              "The faulty release was rolled back and the pipeline was frozen for {name} until a fix was reviewed."]),
    dict(key="db-failover", weight=6, slug=["database", "failover"], tags=["postgres", "failover", "replication-lag", "data-inconsistency"],
         short="a database failover", langs=["sql", "bash", "yaml"],
         titles=["{name} database failover caused write errors", "Unplanned primary failover for {name}", "Replication lag after failover of the {name} database"],
         cause=["The primary of the {name} cluster lost its disk and the failover promoted a replica that was {n} seconds behind.",
                "The connection pooler cached the address of the old primary and kept sending writes to a read-only node.",
                "Failover had been tested in staging, where the dataset is a hundred times smaller and replicas never lag.",
                "The health check only tested that the port accepted connections, not that the node accepted writes."],
         trigger=["The storage volume of the primary became unresponsive at {time} UTC and the orchestrator started a failover.",
                  "A planned minor-version upgrade restarted the primary earlier than the maintenance window announced."],
         fix=["We restarted the connection poolers so that they resolved the new primary, then replayed the failed writes from the outbox.",
              "The lagging replica was rebuilt from a fresh base backup and put back into the pool."]),
    dict(key="capacity", weight=8, slug=["capacity", "overload"], tags=["capacity", "traffic-spike", "autoscaling", "latency", "load-testing"],
         short="a traffic spike beyond provisioned capacity", langs=["yaml", "python", "hcl"],
         titles=["{name} overloaded during a traffic spike", "Capacity shortfall in {name} during the campaign", "Latency spike in {name} under peak load"],
         cause=["Peak traffic reached {n} requests per second, {pct} percent above the capacity plan for the quarter.",
                "The autoscaler scaled on CPU, but the service was bound by connections to {dep}, so new instances made things worse.",
                "The last load test predates the move to the new instance type and its lower network throughput.",
                "A marketing campaign was scheduled without a capacity review because the launch checklist did not mention it."],
         trigger=["A push notification to all mobile users at {time} UTC tripled traffic within two minutes.",
                  "A partner integration went live and started polling {name} every second per customer."],
         fix=["We raised the instance count by hand, enabled load shedding for anonymous traffic and asked the partner to back off.",
              "The capacity limits were raised and the autoscaling policy was changed to scale on request concurrency."]),
    dict(key="dependency", weight=6, slug=["upstream", "dependency"], tags=["vendor-outage", "third-party", "upstream-dependency", "timeout"],
         short="an outage of an upstream dependency", langs=["go", "json", "python"],
         titles=["{dep} outage degraded {name}", "Upstream failure in {dep} cascaded into {name}", "{name} degraded by a vendor incident"],
         cause=["{name} called {dep} synchronously on the request path with a timeout of {k} seconds and no circuit breaker.",
                "The vendor status page reported the incident {k} minutes after our first errors.",
                "Our fallback to the secondary provider had been disabled during a contract change and never turned back on.",
                "Thread pools filled with requests waiting on {dep}, which starved the health checks and took healthy instances out of rotation."],
         trigger=["{dep} started returning errors at {time} UTC during an incident on their side.",
                  "A routing change at our transit provider sent traffic to {dep} through a congested path."],
         fix=["We enabled the fallback provider and shortened the timeout on calls to {dep}.",
              "Requests to {dep} were put behind a circuit breaker and non-critical calls were disabled with a feature flag."]),
    dict(key="memory-leak", weight=5, slug=["memory", "leak"], tags=["memory-leak", "oom-kill", "crash-loop", "gc-pauses"],
         short="a memory leak", langs=["go", "rust", "bash"],
         titles=["Memory leak in {name} caused repeated restarts", "{name} instances killed by the OOM killer", "Gradual memory growth in {name}"],
         cause=["A cache of {comp} objects was keyed by request identifier and never evicted, so memory grew with traffic.",
                "The leak had been present for {k} releases but daily deploys restarted the process before it mattered.",
                "The release freeze meant no deploy for {k} days, long enough for the heap to reach the container limit.",
                "Garbage collection pauses grew to {ms} milliseconds before the kernel killed the process."],
         trigger=["The holiday change freeze stopped the daily deploys that had been masking the leak.",
                  "Instances of {name} reached their memory limit one after another starting at {time} UTC."],
         fix=["We restarted the fleet in batches and raised the memory limit as a stopgap.",
              "The cache was bounded and given an expiry; the fix was deployed after a heap profile confirmed it."]),
    dict(key="dns", weight=4, slug=["dns", "resolution"], tags=["dns", "dns-resolution", "route53", "networking"],
         short="DNS resolution failures", langs=["bash", "hcl", "yaml"],
         titles=["DNS resolution failures for {name}", "{name} unreachable after a DNS change", "Resolver overload broke lookups for {name}"],
         cause=["A zone change removed the record for {name} in {region} because the Terraform state had drifted.",
                "The resolvers on each host had a cache size of {n} entries, too small for the number of service names after the mesh rollout.",
                "The record had a TTL of {k} hours, so the mistake took a long time to clear from caches.",
                "Negative answers were cached for longer than the positive TTL, which prolonged the impact after the fix."],
         trigger=["A Terraform apply at {time} UTC replaced the zone records for {name}.",
                  "The upstream resolvers in {region} started timing out during a provider maintenance."],
         fix=["We restored the records from the last known good state and flushed the resolver caches.",
              "Traffic was moved to resolvers in another region while the provider recovered."]),
    dict(key="network", weight=4, slug=["packet", "loss"], tags=["network-partition", "packet-loss", "bgp", "zone-failure"],
         short="packet loss between availability zones", langs=["bash", "yaml"],
         titles=["Packet loss between zones degraded {name}", "Network partition isolated {name} in {region}", "Cross-zone latency spike affected {name}"],
         cause=["A faulty line card in {region} dropped {pct} percent of packets between two zones.",
                "Retries on timeouts doubled the cross-zone traffic and pushed the healthy links to saturation.",
                "The service was deployed in two zones only, so losing one link removed half of its capacity.",
                "The network monitoring measured loss every five minutes, which averaged away bursts of loss."],
         trigger=["Packet loss between zones started at {time} UTC without any change on our side.",
                  "A BGP session flapped during the provider maintenance and routes converged on a congested path."],
         fix=["We drained the affected zone and shifted traffic to the remaining zones.",
              "The provider replaced the line card and we moved traffic back after an hour of clean measurements."]),
    dict(key="disk-full", weight=4, slug=["disk", "full"], tags=["disk-full", "logging", "inode-exhaustion", "toil"],
         short="full disks", langs=["bash", "yaml", "python"],
         titles=["Full disks on {name} hosts", "{name} stopped writing after its volumes filled", "Log volume filled the {name} disks"],
         cause=["Debug logging was left enabled after an investigation and wrote {n} gigabytes per hour.",
                "Log rotation compressed files but did not delete them, because the retention setting was ignored by the new agent.",
                "The disk usage alert fired at ninety-five percent, which left {k} minutes of headroom at the observed write rate.",
                "Temporary files from failed uploads were never cleaned, slowly exhausting inodes."],
         trigger=["A spike in errors produced stack traces for every request starting at {time} UTC.",
                  "A backfill job wrote its intermediate files to the root volume instead of the scratch volume."],
         fix=["We removed the old log files, disabled debug logging and restarted the stalled writers.",
              "The scratch data was moved to a dedicated volume and the cleanup job was fixed."]),
    dict(key="retry-storm", weight=5, slug=["retry", "storm"], tags=["retry-storm", "cascading-failure", "thundering-herd", "timeout"],
         short="a retry storm", langs=["go", "python", "json"],
         titles=["Retry storm overwhelmed {name}", "Cascading failure from client retries against {name}", "{name} brownout amplified by retries"],
         cause=["Every layer retried three times, so one failed request became up to {n} requests at the storage layer.",
                "The retry policy had no jitter, and all clients retried in lockstep after each timeout.",
                "{name} had no admission control and accepted more work than it could complete before clients gave up.",
                "The mobile apps retried on every foreground event, which multiplied traffic once the first errors appeared."],
         trigger=["A short garbage collection pause in {dep} at {time} UTC caused a burst of timeouts.",
                  "A deploy restarted half of the {name} instances at once, and the remaining half received all the retries."],
         fix=["We enabled load shedding at the gateway and reduced the client retry budget with a remote config change.",
              "Retries were disabled for non-idempotent calls and the backoff was given jitter."]),
    dict(key="schema-migration", weight=4, slug=["schema", "migration"], tags=["schema-migration", "mysql", "deadlock", "data-migration"],
         short="a schema migration that locked a hot table", langs=["sql", "bash", "python"],
         titles=["Schema migration locked {name} tables", "{name} writes blocked by an online migration", "Migration on {name} database caused timeouts"],
         cause=["The migration added a column with a default value, which rewrote the {table} table under an exclusive lock.",
                "The migration tool ran in the deploy job with no statement timeout.",
                "Reviewers approved the migration without the table size, which was {n} million rows.",
                "Lock waits queued behind the migration and exhausted the connection pool within seconds."],
         trigger=["The deploy job ran the migration against the {table} table at {time} UTC.",
                  "A migration scheduled for the maintenance window started early because of a time zone mistake in the scheduler."],
         fix=["We cancelled the migration, which released the lock, and re-ran it later with the online schema change tool.",
              "The blocked sessions were terminated and the migration was rewritten to add the column without a default."]),
    dict(key="manual-change", weight=3, slug=["manual", "change"], tags=["manual-change", "aws", "access-control", "terraform"],
         short="a manual change in production", langs=["hcl", "bash", "json"],
         titles=["Manual change deleted production resources of {name}", "{name} outage after a console change", "Production resources of {name} removed by hand"],
         cause=["An operator deleted what looked like an unused resource from the cloud console; it was the production resource of {name}.",
                "Staging and production resources had identical names apart from a suffix that the console truncated.",
                "Production write access from the console was granted to {n} people for historical reasons.",
                "Nothing required a second person to confirm deletes in production."],
         trigger=["A cleanup of unused resources in the {region} account started at {time} UTC.",
                  "An emergency change from the previous week had been made by hand and was undone by the next Terraform apply."],
         fix=["We recreated the resources with Terraform and restored the data from the latest snapshot.",
              "The resources were re-created from code and the console access was reduced to read-only."]),
    dict(key="queue-backlog", weight=5, slug=["consumer", "lag"], tags=["kafka", "consumer-lag", "queue-backlog", "hot-partition"],
         short="a growing consumer backlog", langs=["bash", "yaml", "go"],
         titles=["Consumer lag on {name} delayed events by hours", "{name} queue backlog after a rebalance", "Event processing in {name} fell behind"],
         cause=["A single hot key sent most events for one large tenant to partition {k}, which only one consumer could read.",
                "Consumers rebalanced every few minutes because processing a batch took longer than the session timeout.",
                "The lag alert used the number of messages, which stayed small while the oldest message aged for hours.",
                "Poison messages were retried forever and blocked their partitions."],
         trigger=["A bulk import by one tenant at {time} UTC produced {n} events within ten minutes.",
                  "A consumer deploy increased the batch size beyond what the session timeout allowed."],
         fix=["We added consumers, moved the poison messages to a dead-letter topic and let the backlog drain.",
              "The tenant's events were rekeyed across partitions and the backlog cleared after {k} hours."]),
    dict(key="cache", weight=4, slug=["cache", "stampede"], tags=["cache-stampede", "redis", "memcached", "thundering-herd"],
         short="a cache stampede", langs=["python", "go", "bash"],
         titles=["Cache stampede overloaded the {name} database", "{name} latency after a cache flush", "Cold cache took down {name}"],
         cause=["All cache entries for {comp} were written with the same expiry and expired within the same second.",
                "Cache misses went straight to the database with no request coalescing.",
                "The cache cluster restart was expected to be invisible, and nobody warmed the cache beforehand.",
                "The database was sized for the {pct} percent of traffic that misses the cache in steady state."],
         trigger=["A routine restart of the cache cluster at {time} UTC emptied every node.",
                  "A key-format change in release {ver} invalidated every cached entry at once."],
         fix=["We rate-limited cache fills and warmed the cache from the read replicas before reopening traffic.",
              "Request coalescing was enabled for cache misses and expiries were given jitter."]),
    dict(key="clock-skew", weight=2, slug=["clock", "skew"], tags=["clock-skew", "ntp", "authentication", "expired-credentials"],
         short="clock skew on a group of hosts", langs=["bash", "go"],
         titles=["Clock skew broke token validation in {name}", "{name} rejected valid requests after NTP failure", "Time drift on {name} hosts"],
         cause=["The hosts lost their NTP servers after a firewall change and drifted by {k} minutes.",
                "Token validation allowed only thirty seconds of clock skew.",
                "No alert watched clock offset on the hosts, only on the NTP servers themselves.",
                "The drift happened gradually over {k} days, so no single check looked wrong."],
         trigger=["The clock offset on the {region} hosts crossed the token validation tolerance at {time} UTC.",
                  "A firewall change blocked outbound NTP from the new subnet."],
         fix=["We restored NTP access and stepped the clocks on the affected hosts.",
              "Token validation tolerance was raised temporarily while the clocks were corrected."]),
    dict(key="quota", weight=3, slug=["quota", "exhausted"], tags=["quota-exhaustion", "rate-limiting", "throttling", "aws"],
         short="an exhausted provider quota", langs=["hcl", "json", "bash"],
         titles=["Provider quota exhausted for {name}", "{name} throttled by the cloud provider", "API rate limits blocked {name} scaling"],
         cause=["The account reached its limit of {n} instances in {region} and the autoscaler could not add capacity.",
                "The quota had been raised in the old account but not in the account created during the migration.",
                "Every deploy called the provider API for each instance, which consumed most of the rate limit.",
                "Quota usage was not monitored; the limits were only visible in the provider console."],
         trigger=["The autoscaler requested {k} new instances at {time} UTC during the morning peak.",
                  "A new deploy pipeline polled the provider API in a tight loop."],
         fix=["We requested a quota increase and moved part of the load to another region while it was processed.",
              "The polling loop was fixed and the API calls were batched."]),
    dict(key="data-corruption", weight=2, slug=["data", "corruption"], tags=["data-corruption", "backfill", "data-migration", "data-inconsistency"],
         short="corrupted records written by a backfill", langs=["sql", "python", "json"],
         titles=["Backfill wrote corrupted records to {name}", "Data inconsistency in {name} after a migration", "{name} served wrong data after a backfill"],
         cause=["A backfill script used a character set that mangled non-ASCII names in {n} records.",
                "The backfill was tested on a sample that contained only ASCII data.",
                "The job wrote directly to the primary tables instead of a shadow table that could be compared first.",
                "Validation ran after the backfill finished instead of on each batch."],
         trigger=["The backfill for the {table} table started at {time} UTC.",
                  "A migration job resumed after a crash and reapplied a batch that had already been written."],
         fix=["We stopped the backfill, restored the affected rows from the point-in-time backup and re-ran the job with the fix.",
              "The corrupted records were identified by comparing against the backup and repaired in place."]),
    dict(key="conn-pool", weight=5, slug=["connection", "pool"], tags=["connection-pool-exhaustion", "timeout", "thread-starvation", "latency"],
         short="connection pool exhaustion", langs=["yaml", "go", "sql"],
         titles=["Connection pool exhaustion in {name}", "{name} timed out waiting for database connections", "Slow queries starved the {name} connection pool"],
         cause=["A query without an index on the {table} table took {ms} milliseconds and held connections for its whole duration.",
                "The pool size was {k} connections per instance, and every instance hit the limit at once.",
                "Connections were not returned to the pool on one error path, leaking a connection per failed request.",
                "The database's max_connections was lower than the sum of the pool sizes across the fleet."],
         trigger=["A new report page shipped at {time} UTC ran the unindexed query on every load.",
                  "Scaling out {name} to more instances pushed the total connections past the database limit."],
         fix=["We added the missing index and restarted the instances to clear the leaked connections.",
              "The pool sizes were reduced and a connection proxy was put in front of the database."]),
    dict(key="k8s", weight=5, slug=["pods", "evicted"], tags=["kubernetes", "crash-loop", "scale-down", "autoscaling"],
         short="pods evicted during a cluster change", langs=["yaml", "bash", "hcl"],
         titles=["{name} pods evicted during node pool upgrade", "Crash loop of {name} after a cluster change", "Cluster autoscaler removed nodes running {name}"],
         cause=["The node pool upgrade drained nodes faster than {name} could start replacement pods.",
                "{name} had no pod disruption budget, so every replica could be evicted at once.",
                "Readiness probes passed before the caches were loaded, so new pods received traffic too early.",
                "The cluster autoscaler scaled down nodes whose pods it considered movable, including the only ready replicas."],
         trigger=["The scheduled node pool upgrade in {region} started at {time} UTC.",
                  "A change to the resource requests made the scheduler place every replica on the same node."],
         fix=["We paused the upgrade, added a pod disruption budget and scaled the deployment up.",
              "The resource requests were reverted and the pods were spread across zones with topology constraints."]),
]

# --------------------------------------------------------------------------
# Vocabulary for the sentence templates
# --------------------------------------------------------------------------

COMPONENTS = ["connection pool", "read replica", "ingress controller", "request router", "worker pool",
              "write path", "session cache", "token validator", "job queue", "feature flag client",
              "retry middleware", "health checker", "batch scheduler", "TLS terminator", "sidecar proxy",
              "schema registry", "rate limiter", "circuit breaker", "search shard", "index builder",
              "metrics exporter", "log shipper", "message consumer", "webhook sender", "payment adapter",
              "price calculator", "cache warmer", "leader election", "config watcher", "DNS resolver",
              "load balancer pool", "thread pool", "garbage collector", "storage driver", "autoscaler"]
METRICS = ["p99 latency", "error rate", "5xx rate", "request rate", "queue depth", "consumer lag",
           "CPU utilisation", "memory usage", "disk usage", "connection count", "p50 latency",
           "timeout rate", "cache hit ratio", "replication lag", "checkout conversion", "login success rate",
           "availability SLI", "error budget burn rate", "GC pause time", "open file descriptors"]
ERRORS = ["HTTP 503", "HTTP 502", "HTTP 504", "connection reset by peer", "context deadline exceeded",
          "too many connections", "no route to host", "certificate has expired", "read-only transaction",
          "OOMKilled", "NXDOMAIN", "lock wait timeout exceeded", "broken pipe", "SERVFAIL",
          "rate limit exceeded", "upstream connect error", "deadlock detected", "ECONNREFUSED"]
TOOLS = ["Grafana", "PagerDuty", "Kibana", "the tracing UI", "the SLO dashboard", "the status page",
         "the incident channel", "the deploy dashboard", "the runbook", "the on-call handbook",
         "Prometheus", "the log search", "the capacity dashboard", "the change calendar"]
ROLES = ["the incident commander", "the on-call engineer", "the database on-call", "the communications lead",
         "the service owner", "the network on-call", "the secondary on-call", "the support lead",
         "an engineer from {team}", "the platform on-call", "the scribe", "the duty manager"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1",
           "sa-east-1", "ca-central-1"]
CONFIG_KEYS = ["max_connections", "request_timeout_ms", "pool_size", "retry_budget", "cache_ttl_seconds",
               "worker_threads", "batch_size", "max_inflight_requests", "gc_percent", "session_timeout_ms",
               "replica_count", "health_check_interval", "circuit_breaker_threshold", "log_level"]
FLAGS = ["new-checkout-flow", "async-invoices", "search-v2-ranking", "batch-notifications",
         "regional-failover", "strict-token-validation", "compressed-payloads", "edge-caching",
         "bulk-import-v2", "inventory-reservations"]
TABLES = ["orders", "order_items", "invoices", "users", "sessions", "payments", "shipments",
          "inventory_levels", "events", "audit_log", "webhook_deliveries", "price_rules"]
ALERTS = ["HighErrorRate", "SLOBurnRateFast", "LatencyP99High", "ConsumerLagHigh", "DiskWillFillIn4h",
          "ReplicationLagHigh", "PodCrashLooping", "CertificateExpiringSoon", "ProbeFailure",
          "QueueDepthHigh", "ConnectionPoolSaturated", "NodeNotReady"]
OPENERS = ["At the same time, ", "In addition, ", "Shortly afterwards, ",
           "As a result, ", "In practice, ", "Looking back, ", "Meanwhile, ", "Initially, ",
           "By then, ", "For context, ", "Importantly, ", "Separately, ", "Once again, "]

GENERIC = [
    "The {metric} of {name} stayed above its objective for most of the incident.",
    "Requests to {name} failed with {err} while the {comp} was unavailable.",
    "{role} coordinated the response in the incident channel and kept the status page current.",
    "Dashboards in {tool} showed the {metric} rising a few minutes before the first alert.",
    "The {comp} is shared by {k} services, which widened the impact beyond {name}.",
    "Traffic from {region} was affected more than other regions because it had the least spare capacity.",
    "Customers retried their requests, which added load while the service was recovering.",
    "The runbook for {name} described the symptoms but not the steps to confirm the cause.",
    "Logs showed {err} on {pct} percent of requests during the worst ten minutes.",
    "The {comp} in {name} depends on {dep}, which made the failure harder to isolate.",
    "We compared the behaviour with the previous week and found no similar pattern.",
    "Engineers from {team} joined the call within {k} minutes of the page.",
    "The {metric} returned to normal once the {comp} recovered.",
    "Several teams investigated the same symptoms in parallel before the incident was declared.",
    "A change freeze was declared for {name} until the investigation was complete.",
    "The investigation was slowed by missing context in the alert description.",
    "{name} is a tier {tier} service owned by {team}.",
    "The incident happened during peak hours in {region}, which increased the number of affected customers.",
    "Support received {n} tickets mentioning {name} during the incident.",
    "The error budget for {name} for the quarter was consumed within {k} hours.",
    "Graphs of the {metric} for {anysvc} showed a correlated dip at the same time.",
    "Tracing confirmed that most of the latency was spent waiting on the {comp}.",
    "We considered failing over to {region2} but decided against it because the data there was stale.",
    "Communication with customers went through the status page and the support team.",
    "No data was lost, but {n} requests had to be replayed after the incident.",
    "The {comp} had been identified as a risk in an earlier review but was not yet prioritised.",
    "The team kept a shared document with hypotheses, which helped the handoff between shifts.",
    "Alerts for {anysvc} fired as well, which pointed the first responders in the wrong direction at first.",
    "The {cfg} setting was unchanged for over a year and had never been tested at this scale.",
    "Requests that reached the healthy instances completed normally.",
]

POOLS = {
    "summary": [
        "On {day}, {name} {impact} for {dur} because of {short}.",
        "The incident was declared a {sevlabel} after {role} saw {err} errors across the fleet.",
        "Customers in {region} were affected the most, with the {metric} peaking at {pct} percent above normal.",
        "The service recovered after we {fixshort}, and the follow-up work is tracked in the action items below.",
        "About {pct} percent of requests to {name} failed or timed out during the incident window.",
        "This document describes the impact, the causes, the response and what we are changing.",
        "The incident started at {start} UTC and was resolved at {end} UTC.",
    ],
    "impact": [
        "{n} customers saw errors when they used features backed by {name}.",
        "An estimated {n} requests failed with {err} over {dur}.",
        "The {metric} for {name} rose from a baseline of {ms} milliseconds to over {ms2} milliseconds.",
        "Revenue impact is estimated at {pct} percent of a normal day for the affected hour.",
        "No data was lost; {n} jobs were delayed and completed after recovery.",
        "Internal users of {anysvc} were affected as well, because it depends on {name}.",
        "The mobile apps showed a generic error screen, and {n} users contacted support.",
        "The availability SLO for {name} dropped to {slo} percent for the month.",
        "Customers on the enterprise plan received {k} proactive notifications from their account managers.",
        "Webhooks to customer endpoints were delayed by up to {k} hours.",
        "Search results were stale for {dur}, but searches themselves succeeded.",
        "Partners that integrate through the public API saw {err} responses and retried automatically.",
        "Traffic in {region} was served with degraded latency while other regions were unaffected.",
        "The impact was limited to write operations; reads were served from replicas throughout.",
        "Checkout conversion dropped by {pct} percent compared with the same hour a week earlier.",
    ],
    "root": [
        "The root cause was a combination of {short} and missing safeguards in the {comp}.",
        "The {comp} assumed that {dep} would always answer within {ms} milliseconds.",
        "A latent bug in the {comp} had been present since {ver}, but only showed under this load.",
        "There was no limit on the number of in-flight requests, so the backlog grew without bound.",
        "The design review for the {comp} did not consider the failure of {dep}.",
        "Monitoring covered the symptoms but not the saturation of the {comp}.",
        "The default value of {cfg} was tuned for a fleet a tenth of the current size.",
        "Several small gaps lined up: each on its own would have been harmless.",
        "The {comp} retried on {err}, which turned a partial failure into a full one.",
        "Ownership of the {comp} was unclear after the reorganisation, so its alerts went to an old rotation.",
        "The staging environment does not reproduce the traffic mix of production, so the problem did not show there.",
        "Health checks reported the instances as healthy because they did not exercise the {comp}.",
    ],
    "trigger": [
        "The trigger was {short}, which started at {start} UTC.",
        "No deploy of {name} happened in the hour before the incident.",
        "The change was part of routine maintenance and had been done successfully {k} times before.",
        "The triggering change was reviewed and approved through the normal process.",
        "Load on {name} was close to the weekly peak when the trigger occurred.",
    ],
    "resolution": [
        "To mitigate the incident we {fixshort}.",
        "Once the {comp} was restarted, the {metric} returned to its baseline within {k} minutes.",
        "Traffic was shifted from {region} to {region2} while the fix was prepared.",
        "The fix was deployed region by region, watching the {metric} after each step.",
        "We kept the incident open for {k} hours after mitigation to watch for recurrence.",
        "Backlogged work was drained at a controlled rate to avoid a second overload.",
        "{role} confirmed recovery with the synthetic checks before resolving the incident.",
        "A temporary rate limit was applied to the heaviest clients and removed the next day.",
        "Failed requests were replayed from the dead-letter queue once the service was stable.",
        "We verified the fix in staging with a replay of the production traffic from the incident.",
    ],
    "detection": [
        "The {alert} alert fired {ttd} after the start of the incident and paged {role}.",
        "The first report came from a customer through support, before any alert fired.",
        "Synthetic checks from {region} failed first, followed by the {alert} alert.",
        "Detection took {ttd}, which is within our target for a {sevlabel} incident.",
        "The alert threshold was tuned to avoid noise, which delayed detection by several minutes.",
        "An engineer noticed the anomaly on the {tool} dashboard while working on an unrelated change.",
        "The SLO burn-rate alert detected the problem; the older threshold alerts did not fire at all.",
        "The alert was acknowledged quickly, but the link in the alert pointed to a dashboard that no longer exists.",
    ],
    "actions": [
        "The action items below are tracked in the team's backlog and reviewed every week.",
        "Each action has an owner and a due date; {team} reviews progress in the operations review.",
        "We prioritised actions that prevent a recurrence over those that only shorten detection.",
        "Some actions extend work that was already planned for {name}.",
    ],
    "well": [
        "The incident was declared quickly and roles were assigned within {k} minutes.",
        "The rollback procedure worked as documented.",
        "Communication with support was clear and customers got regular status updates.",
        "The {alert} alert pointed directly at the affected component.",
        "Engineers from {team} and {team2} worked well together across time zones.",
        "The runbook for the {comp} was up to date and easy to follow.",
        "Feature flags allowed us to disable the affected path without a deploy.",
        "Load shedding protected the most important traffic.",
        "The handoff between shifts was smooth thanks to the incident document.",
        "Dashboards in {tool} made the impact visible to everyone on the call.",
    ],
    "wrong": [
        "It took {ttd} to detect the problem, longer than our target.",
        "The first hypothesis focused on {anysvc}, which cost time.",
        "The runbook did not cover this failure mode of the {comp}.",
        "Status page updates lagged behind the actual state of the incident.",
        "Several people made changes at the same time without announcing them in the channel.",
        "The alert fired in the wrong rotation and had to be escalated by hand.",
        "Our staging environment did not reproduce the problem.",
        "Access to the production {comp} required an approval that took {k} minutes.",
        "The rollback was slower than expected because the previous artifact had been garbage collected.",
        "We lacked a dashboard that showed the {metric} per region.",
    ],
    "lucky": [
        "The incident happened outside the peak shopping hours in most regions.",
        "An engineer who knew the {comp} well happened to be online.",
        "The corrupted cache entries expired before they were served widely.",
        "A planned failover test the week before had refreshed the team's knowledge of the procedure.",
        "The backups from the previous night had completed just before the incident.",
        "Traffic in {region} was lower than usual because of a public holiday.",
    ],
    "support": [
        "The incident document, the chat log and the graphs from {tool} are linked from the incident ticket.",
        "Related design documents for the {comp} are in the {team} space of the wiki.",
        "The timeline was reconstructed from the chat log, the deploy history and the alert history.",
        "Raw metrics for the incident window are kept for {k} months.",
    ],
}

TIMELINE_EVENTS = {
    "pre": ["Routine change to {name} started: {short}.", "Deploy of {name} {ver} began in {region}.",
            "Scheduled maintenance window for {dep} opened.", "Traffic to {name} reached the daily peak."],
    "start": ["{metric} for {name} started rising.", "First {err} errors from {name}.",
              "Outage begins: requests to {name} start failing.", "Latency of {name} in {region} climbed above the objective."],
    "detect": ["{alert} alert fired and paged {role}.", "Customer report received by support mentioning {name}.",
               "{role} acknowledged the page.", "Synthetic checks in {region} started failing."],
    "middle": ["Incident declared as {sevlabel}; {role} took command.", "Status page updated: investigating issues with {name}.",
               "Hypothesis: the recent change to {dep}. Checked, not related.", "Engineers from {team} joined the call.",
               "Logs show {err} from the {comp}.", "Dashboards show the {metric} is still rising.",
               "Decision to roll back the last change to {name}.", "Escalated to {team2} for help with {dep}.",
               "Traffic partially shifted to {region2}.", "Capacity added to the {comp}.",
               "Status page updated with the current impact.", "Rollback started.", "Rollback completed in the first region.",
               "Customer support briefed with a holding statement.", "The {comp} restarted in batches."],
    "note": ["Status page updated with the current impact.", "Investigation continues: {comp} metrics reviewed.",
             "{role} posted an update in the incident channel.", "{metric} unchanged since the last update.",
             "Checked recent changes to {anysvc}: none in the window.", "Handoff notes written for the next shift.",
             "Logs show {err} from the {comp}.", "Support reports {n} new tickets."],
    "mitigate": ["Mitigation: {fixshort}.", "{metric} back below the objective.", "Error rate back to baseline."],
    "resolve": ["Incident resolved; monitoring continues.", "All regions healthy, incident closed.",
                "Backlog drained and incident resolved."],
}

ACTION_TEMPLATES = {
    "prevent": ["Add validation for {cfg} in the config pipeline", "Require a second confirmation for deletes in production",
                "Bound the {comp} cache and add an expiry", "Stage runtime configuration changes like binaries",
                "Add a pod disruption budget for {name}", "Run schema migrations with a statement timeout",
                "Automate certificate renewal for {name}", "Move {name} resources fully under Terraform",
                "Add jitter to retries in the {comp}", "Remove console write access to production accounts"],
    "note": ["Status page updated with the current impact.", "Investigation continues: {comp} metrics reviewed.",
             "{role} posted an update in the incident channel.", "{metric} unchanged since the last update.",
             "Checked recent changes to {anysvc}: none in the window.", "Handoff notes written for the next shift.",
             "Logs show {err} from the {comp}.", "Support reports {n} new tickets."],
    "mitigate": ["Add a circuit breaker around calls to {dep}", "Enable load shedding for {name}",
                 "Document and test the failover procedure for {name}", "Keep a warm standby for the {comp}",
                 "Add a kill switch flag for the {comp}", "Make the rollback of {name} a single command"],
    "detect": ["Alert on saturation of the {comp}", "Add an SLO burn-rate alert for {name}",
               "Monitor certificate expiry for all {name} endpoints", "Add synthetic checks for {name} in {region}",
               "Alert on clock offset on every host", "Track consumer lag as age of the oldest message"],
    "process": ["Add {name} to the capacity review for launches", "Update the runbook for the {comp}",
                "Run a game day for the failure of {dep}", "Clarify the ownership of the {comp}",
                "Review the on-call rotation for {team}", "Add the change to the launch checklist"],
}

RISK_POOL = [
    ("manual-prod-access", "Operators change production by hand from the cloud console", "Infrastructure as code for every production resource"),
    ("untested-failover", "The database failover has never been exercised under load", "Run a failover game day before launch"),
    ("capacity-underestimated", "Launch traffic exceeds the capacity plan", "Load test at three times the forecast and pre-scale"),
    ("certificate-expiry", "Certificates for the new domains expire unnoticed", "Automated renewal and expiry monitoring"),
    ("config-blast-radius", "A bad configuration change reaches every region at once", "Stage configuration rollouts by region"),
    ("vendor-dependency", "The new payment vendor has an outage during launch week", "Keep the old vendor as a fallback"),
    ("retry-amplification", "Client retries amplify a partial failure into an outage", "Retry budgets and jitter in every client"),
    ("schema-lock", "A schema migration locks a hot table", "Online schema changes with statement timeouts"),
    ("missing-alerts", "Nobody is paged when the new service degrades", "SLOs and burn-rate alerts before launch"),
    ("unclear-ownership", "Nobody owns the new service after the project team disbands", "Name an owning team and on-call rotation"),
    ("data-migration-loss", "The data migration silently drops records", "Dual writes and reconciliation reports"),
    ("rollback-impossible", "The release cannot be rolled back once the migration ran", "Expand and contract migrations"),
    ("quota-limits", "Cloud provider quotas block scaling on launch day", "Request quota increases two weeks ahead"),
    ("cache-cold-start", "A cold cache overloads the database at launch", "Warm caches before opening traffic"),
    ("dns-cutover", "The DNS cutover leaves clients on stale records", "Lower TTLs a week before the cutover"),
    ("support-unprepared", "Support cannot answer questions about the new flow", "Train support and write macros before launch"),
    ("single-region", "The service runs in one region and that region fails", "Deploy to a second region before general availability"),
    ("secret-sprawl", "Credentials for the new integration leak into logs", "Secrets from the vault and log scrubbing"),
    ("noisy-tenant", "One large tenant saturates the shared queue", "Per-tenant quotas and partitioning"),
    ("clock-dependency", "Token validation breaks when host clocks drift", "Monitor clock offset and allow bounded skew"),
]

CODENAMES = ["atlas", "borealis", "cobalt", "dynamo", "ember", "fjord", "granite", "helios", "iris",
             "juniper", "kestrel", "lumen", "meridian", "nimbus", "onyx", "polaris", "quartz",
             "redwood", "sierra", "tundra", "umbra", "vega", "willow", "xenon", "yonder", "zephyr",
             "wonderland", "aurora", "beacon", "cascade"]
PROJECT_KINDS = ["launch", "migration", "rollout", "cutover", "expansion", "redesign", "replatform"]

PREMORTEM_TEXT = [
    "Assume it is six months after the {project} and it has failed badly. Each participant wrote down every reason they could imagine, independently, before the discussion.",
    "The exercise gathered people from {team}, {team2} and support for ninety minutes.",
    "We grouped the reasons into themes and rated each by likelihood and impact.",
    "The most common fear was that {name} would not cope with the launch traffic.",
    "Several people worried that the rollback plan depends on {dep}, which is owned by another team.",
    "Participants noted that the {comp} has no owner after the project team moves on.",
    "For each risk we asked what we can still do before the launch to make it less likely or less harmful.",
    "The risks below are the ones the group rated highest; the full list is in the workshop notes.",
    "We agreed to revisit this document one month after the {project} and mark which fears came true.",
    "Some risks are accepted on purpose because the mitigation would delay the {project} by more than a quarter.",
]

# `hindsight check` warns about these (issue 3); the generator asserts their absence
BLAME_PHRASES = ["human error", "should have known", "careless", "negligent", "fault of", "blame"]


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

class Zipf:
    """Pick items with Zipf-like weights (first items are the most frequent)."""

    def __init__(self, items, s=1.0):
        self.items = list(items)
        total = 0.0
        self.cum = []
        for i in range(len(self.items)):
            total += 1.0 / (i + 1) ** s
            self.cum.append(total)
        self.total = total

    def pick(self, r):
        return self.items[bisect.bisect_right(self.cum, r.random() * self.total)]

    def sample(self, r, k, exclude=()):
        out = []
        guard = 0
        while len(out) < k and guard < 1000:
            guard += 1
            x = self.pick(r)
            if x not in out and x not in exclude:
                out.append(x)
        return out


def toml_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml_list(xs):
    return "[" + ", ".join(toml_str(x) for x in xs) + "]"


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def human_duration(minutes):
    minutes = int(round(minutes))
    if minutes < 60:
        return "%d minute%s" % (minutes, "" if minutes == 1 else "s")
    h, m = divmod(minutes, 60)
    if h < 48:
        hs = "%d hour%s" % (h, "" if h == 1 else "s")
        return hs if m == 0 else "%s %d minute%s" % (hs, m, "" if m == 1 else "s")
    d, h = divmod(h, 24)
    return "%d days %d hours" % (d, h)


class Filler(dict):
    """format_map mapping: fixed per-document keys, random values for the rest."""

    __slots__ = ("r",)

    def __missing__(self, key):
        r = self.r
        if key == "comp":
            return COMPONENTS[int(len(COMPONENTS) * r.random() ** 1.6)]
        if key == "metric":
            return METRICS[int(len(METRICS) * r.random() ** 1.4)]
        if key == "err":
            return ch(r, ERRORS)
        if key == "tool":
            return ch(r, TOOLS)
        if key == "role":
            return ch(r, ROLES).replace("{team}", self["team"])
        if key == "pct":
            return str(ri(r, 2, 95))
        if key == "n":
            return str(int(r.lognormvariate(7, 1.5)) + 12)
        if key == "k":
            return str(ri(r, 2, 12))
        if key == "ms":
            return str(ch(r, [40, 80, 120, 250, 300, 450, 800, 1200]))
        if key == "ms2":
            return str(ch(r, [2000, 3500, 5000, 8000, 12000, 30000]))
        if key == "slo":
            return "%.2f" % (99.0 + r.random() * 0.9)
        if key == "cfg":
            return ch(r, CONFIG_KEYS)
        if key == "flag":
            return ch(r, FLAGS)
        if key == "table":
            return ch(r, TABLES)
        if key == "alert":
            return ch(r, ALERTS)
        if key == "anysvc":
            return ch(r, SERVICES)[1]
        if key == "ver":
            return "v%d.%d.%d" % (ri(r, 1, 9), ri(r, 0, 40), ri(r, 0, 20))
        if key == "time":
            return "%02d:%02d" % (ri(r, 0, 23), ri(r, 0, 59))
        if key == "region2":
            return ch(r, REGIONS)
        raise KeyError(key)


def ch(r, seq):
    """random.choice, faster (and still deterministic for a seed)."""
    return seq[int(r.random() * len(seq))]


def ri(r, a, b):
    """random.randint, faster."""
    return a + int(r.random() * (b - a + 1))


def fill(template, ctx):
    return template.format_map(ctx)


def check_blameless(text, path):
    low = text.lower()
    for phrase in BLAME_PHRASES:
        if phrase in low:
            raise AssertionError("%s contains %r: fix the vocabulary" % (path, phrase))


def cap(s):
    return s[0].upper() + s[1:]


def paragraph(r, ctx, pools, nsent, theme_lines=None):
    sents = []
    used = ctx["_used"]
    for _ in range(nsent):
        for _try in range(3):
            if theme_lines and r.random() < 0.12:
                t = ch(r, theme_lines)
            elif r.random() < 0.6:
                t = ch(r, pools)
            else:
                t = ch(r, GENERIC)
            if t not in used:
                break
        used[t] = True
        s = fill(t, ctx)
        s = s[0].upper() + s[1:]
        op = OPENERS[int(len(OPENERS) * r.random())] if r.random() < 0.3 else ""
        if op and t[0] != "{":
            word = s.split(" ", 1)[0]
            if len(word) == 1 or word[1:].islower():
                s = s[0].lower() + s[1:]
            s = op + s
        sents.append(s)
    return " ".join(sents)


def prose(r, ctx, pools, words, theme_lines=None, first=None):
    """Paragraphs totalling about `words` words."""
    paras = []
    count = 0
    if first:
        paras.append(first)
        count += len(first.split())
    while count < words:
        p = paragraph(r, ctx, pools, ri(r, 2, 6), theme_lines)
        paras.append(p)
        count += len(p.split())
    return paras


# --------------------------------------------------------------------------
# Code blocks
# --------------------------------------------------------------------------

def _ident(svc):
    return svc.replace("-", "_")


def _camel(svc):
    return "".join(p.capitalize() for p in svc.split("-"))


def code_bash(r, ctx, n):
    svc, ns = ctx["svc"], ctx["team"]
    out = []
    while len(out) < n:
        kind = ri(r, 0, 6)
        if kind == 0:
            out.append("$ kubectl -n %s get pods -l app=%s" % (ns, svc))
            out.append("NAME                                READY   STATUS             RESTARTS   AGE")
            for _ in range(ri(r, 2, 6)):
                st = ch(r, ["Running", "CrashLoopBackOff", "Running", "OOMKilled", "Pending"])
                out.append("%-35s %-7s %-18s %-10d %dm" % (
                    "%s-%07x-%05x" % (svc[:16], r.getrandbits(28), r.getrandbits(20)),
                    "1/1" if st == "Running" else "0/1", st, ri(r, 0, 40), ri(r, 1, 90)))
        elif kind == 1:
            out.append("$ kubectl -n %s logs deploy/%s --since=10m | grep -c '%s'" % (ns, svc, ch(r, ERRORS)))
            out.append(str(ri(r, 100, 90000)))
        elif kind == 2:
            out.append("$ curl -sS -o /dev/null -w '%%{http_code} %%{time_total}\\n' https://%s.internal.example.com/healthz" % svc)
            for _ in range(ri(r, 1, 4)):
                out.append("%s %.3f" % (ch(r, ["200", "503", "504", "200"]), r.random() * 5))
        elif kind == 3:
            out.append("$ dig +short %s.internal.example.com @10.0.0.2" % svc)
            for _ in range(ri(r, 1, 3)):
                out.append("10.%d.%d.%d" % (ri(r, 0, 255), ri(r, 0, 255), ri(r, 1, 254)))
        elif kind == 4:
            out.append("$ df -h /var/lib/%s" % svc)
            out.append("Filesystem      Size  Used Avail Use% Mounted on")
            out.append("/dev/nvme1n1    500G  %dG  %dG  %d%% /var/lib/%s" % (
                480 + ri(r, 0, 19), ri(r, 0, 20), 96 + ri(r, 0, 4), svc))
        elif kind == 5:
            out.append("$ journalctl -u %s --since '%s' --no-pager | tail -n 3" % (svc, ctx["start"]))
            for _ in range(3):
                out.append("%s host-%02d %s[%d]: %s" % (ctx["start"], ri(r, 1, 40), svc, ri(r, 1000, 60000), ch(r, ERRORS)))
        else:
            out.append("$ kubectl -n %s rollout undo deployment/%s" % (ns, svc))
            out.append("deployment.apps/%s rolled back" % svc)
            out.append("$ kubectl -n %s rollout status deployment/%s" % (ns, svc))
            out.append('deployment "%s" successfully rolled out' % svc)
    return out[:n]


def code_yaml(r, ctx, n):
    svc = ctx["svc"]
    if n >= 18:
        out = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: %s" % svc,
               "  namespace: %s" % ctx["team"], "spec:", "  replicas: %d" % ri(r, 2, 40),
               "  template:", "    spec:", "      containers:", "        - name: %s" % svc,
               "          image: registry.example.com/%s:%s" % (svc, ctx["ver"]), "          env:"]
        footer = ["          resources:", "            limits:", "              memory: %dMi" % ch(r, [256, 512, 1024, 2048])]
        while len(out) + len(footer) < n - 1:
            out.append("            - name: %s" % ch(r, CONFIG_KEYS).upper())
            out.append('              value: "%d"' % ri(r, 1, 5000))
        return out + footer
    out = ["groups:", "  - name: %s" % svc, "    rules:"]
    while len(out) < n:
        out += ["      - alert: %s" % ch(r, ALERTS),
                '        expr: sum(rate(http_requests_total{service="%s",code=~"5.."}[5m])) > %d' % (svc, ri(r, 1, 100)),
                "        for: %dm" % ch(r, [1, 2, 5, 10]),
                "        labels:",
                "          severity: %s" % ch(r, ["page", "ticket"])]
    return out


def code_json(r, ctx, n):
    out = ["["]
    while len(out) < n - 1:
        out.append('  {"ts": "%s", "level": "%s", "service": "%s", "msg": "%s", "latency_ms": %d},' % (
            ctx["start_iso"], ch(r, ["error", "warn", "error", "info"]), ctx["svc"],
            ch(r, ERRORS), ri(r, 3, 30000)))
    out[-1] = out[-1].rstrip(",")
    out.append("]")
    return out


def code_sql(r, ctx, n):
    table = ch(r, TABLES)
    out = ["-- rows touched during the incident window", "SELECT"]
    cols = ["  date_trunc('minute', created_at) AS minute", "  count(*) AS total",
            "  count(*) FILTER (WHERE status = 'failed') AS failed", "  avg(duration_ms) AS avg_ms",
            "  max(duration_ms) AS max_ms", "  count(DISTINCT customer_id) AS customers",
            "  percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99_ms",
            "  sum(amount_cents) AS amount_cents", "  min(created_at) AS first_seen"]
    footer = ["FROM %s" % table, "WHERE created_at BETWEEN '%s' AND '%s'" % (ctx["start_iso"], ctx["end_iso"]),
              "GROUP BY 1", "ORDER BY 1;"]
    body = []
    i = 0
    while len(out) + len(body) + len(footer) < n and i < len(cols):
        body.append(cols[i] + ",")
        i += 1
    if body:
        body[-1] = body[-1].rstrip(",")
    out += body + footer
    while len(out) < n:
        out += ["", "ALTER TABLE %s ADD COLUMN %s_checked_at timestamptz;" % (table, ch(r, ["batch", "reconcile", "repair"]))]
    return out[:max(n, 5)]


def code_go(r, ctx, n):
    name = _camel(ctx["svc"])
    out = ["func (c *%sClient) Call(ctx context.Context, req *Request) (*Response, error) {" % name,
           "\tvar lastErr error",
           "\tfor attempt := 0; attempt < c.maxAttempts; attempt++ {"]
    items = [["\t\tresp, err := c.do(ctx, req)", "\t\tif err == nil {", "\t\t\treturn resp, nil", "\t\t}"],
             ["\t\tlastErr = err"],
             ["\t\tc.metrics.Retries.WithLabelValues(%s).Inc()" % toml_str(ctx["svc"])],
             ["\t\tif !isRetryable(err) {", "\t\t\treturn nil, err", "\t\t}"],
             ["\t\tsleep := c.backoff(attempt)", "\t\tselect {", "\t\tcase <-time.After(sleep):",
              "\t\tcase <-ctx.Done():", "\t\t\treturn nil, ctx.Err()", "\t\t}"],
             ["\t\t// %s" % fill(ch(r, POOLS["root"]), ctx)]]
    footer = ["\t}", '\treturn nil, fmt.Errorf("%s: %%d attempts: %%w", c.maxAttempts, lastErr)' % ctx["svc"], "}"]
    body = []
    i = 0
    while len(out) + len(body) + len(footer) < n:
        body += items[i % len(items)]
        i += 1
    return out + body + footer


def code_python(r, ctx, n):
    out = ["import time", "", "import requests", "", "",
           "def probe(base_url, paths, timeout=%d):" % ri(r, 1, 10),
           "    failures = 0", "    for path in paths:"]
    items = [["        started = time.monotonic()"],
             ["        resp = requests.get(base_url + path, timeout=timeout)"],
             ["        if resp.status_code >= 500:", "            failures += 1"],
             ["        print(path, resp.status_code, round(time.monotonic() - started, 3))"],
             ["        time.sleep(%0.1f)" % (r.random() * 2)]]
    footer = ["    return failures", "", "",
              'print(probe("https://%s.internal.example.com", ["/healthz", "/v1/status"]))' % ctx["svc"]]
    body = []
    i = 0
    while len(out) + len(body) + len(footer) < n:
        body += items[i % len(items)]
        i += 1
    return out + body + footer


def code_rust(r, ctx, n):
    name = _camel(ctx["svc"])
    out = ["#[derive(Debug, Clone, Deserialize)]", "pub struct %sConfig {" % name]
    fields = [("max_connections", "u32"), ("request_timeout_ms", "u64"), ("retry_budget", "f64"),
              ("cache_ttl_seconds", "u64"), ("worker_threads", "usize"), ("batch_size", "usize"),
              ("max_inflight_requests", "usize"), ("region", "String"), ("endpoints", "Vec<String>"),
              ("circuit_breaker_threshold", "f64"), ("log_level", "String"), ("health_check_interval_ms", "u64")]
    footer = ["}", "", "impl %sConfig {" % name,
              "    pub fn timeout(&self) -> Duration {",
              "        Duration::from_millis(self.request_timeout_ms)", "    }", "}"]
    i = 0
    body = []
    while len(out) + len(body) + len(footer) < n and i < len(fields):
        body.append("    pub %s: %s," % fields[i])
        i += 1
    return out + body + footer


def code_hcl(r, ctx, n):
    svc = ctx["svc"]
    out = ['resource "aws_lb_target_group" "%s" {' % _ident(svc),
           '  name     = "%s-tg"' % svc[:28], "  port     = %d" % ch(r, [80, 443, 8080, 9090]),
           '  protocol = "HTTP"', "  vpc_id   = var.vpc_id", "", "  tags = {"]
    footer = ["  }", "}"]
    body = []
    keys = ["Service", "Team", "Tier", "Environment", "CostCenter", "Incident", "Region", "ManagedBy"]
    vals = [svc, ctx["team"], str(ctx["tier"]), "production", "cc-%d" % ri(r, 100, 999),
            ctx["day"], ctx["region"], "terraform"]
    i = 0
    while len(out) + len(body) + len(footer) < n and i < len(keys):
        body.append('    %-11s = "%s"' % (keys[i], vals[i]))
        i += 1
    out = out + body + footer
    while len(out) < n and len(out) + 8 <= 40:
        out += ["", 'resource "aws_route53_record" "%s_%d" {' % (_ident(svc), len(out)),
                "  zone_id = var.zone_id", '  name    = "%s.%s.example.com"' % (svc, ch(r, REGIONS)),
                '  type    = "CNAME"', "  ttl     = %d" % ch(r, [60, 300, 3600]),
                "  records = [aws_lb.%s.dns_name]" % _ident(svc), "}"]
    return out


CODE = {"bash": code_bash, "yaml": code_yaml, "json": code_json, "sql": code_sql, "go": code_go,
        "python": code_python, "rust": code_rust, "hcl": code_hcl}
LANGS = list(CODE)

CODE_INTROS = [
    "The following output was captured during the investigation:",
    "This is the change that was applied:",
    "The relevant part of the configuration looked like this:",
    "We used this to confirm the scope of the impact:",
    "The code path involved in the failure:",
    "For reference, the command sequence used during mitigation:",
]


def code_block(r, ctx, lang):
    n = ri(r, 5, 34)
    lines = CODE[lang](r, ctx, n)
    while lines and not lines[-1].strip():
        lines.pop()
    return "```%s\n%s\n```" % (lang, "\n".join(lines))


# --------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------

START = dt.datetime(2015, 1, 1, tzinfo=dt.timezone.utc)
END = dt.datetime(2026, 10, 15, tzinfo=dt.timezone.utc)
LATEST_DATE = dt.date(2026, 11, 1)


def make_people(r):
    people = []
    for f in FIRST:
        for l in LAST:
            people.append("%s-%s" % (f, l))
    r.shuffle(people)
    return people[:300]


def gen_premortems(r, count, people, team_zipf, svc_zipf, tag_zipf):
    pms = []
    used = {}
    span = (dt.date(2026, 8, 1) - dt.date(2015, 1, 1)).days
    for i in range(count):
        d = dt.date(2015, 1, 1) + dt.timedelta(days=int(span * (i + r.random()) / count))
        code = ch(r, CODENAMES)
        kind = ch(r, PROJECT_KINDS)
        slug = "%s-%s" % (code, kind)
        if slug in used:
            slug = "%s-%d" % (slug, d.year)
            if slug in used:
                slug = "%s-%d" % (slug, i)
        used[slug] = True
        services = svc_zipf.sample(r, ri(r, 1, 3))
        risks = r.sample(RISK_POOL, ri(r, 3, 8))
        pms.append(dict(
            slug=slug, date=d, project="%s %s" % (code.capitalize(), kind),
            title="%s %s premortem" % (code.capitalize(), kind),
            summary=ch(r, ["Assume the %s failed badly. Why?", "Imagine the %s went wrong: what were the reasons?",
                              "It is six months later and the %s has failed. What happened?"]) % ("%s %s" % (code.capitalize(), kind)),
            authors=r.sample(people[:120], ri(r, 1, 3)),
            status="closed" if d < dt.date(2025, 1, 1) or r.random() < 0.3 else "open",
            services=services, tags=tag_zipf.sample(r, ri(r, 1, 4)),
            visibility="internal" if r.random() < 0.1 else "public",
            risks=[dict(id=rid, title=t, mitigation=m,
                        likelihood=ch(r, ["low", "medium", "high"]),
                        impact=ch(r, ["low", "medium", "high"]),
                        owner=team_zipf.pick(r)) for rid, t, m in risks]))
    return pms


def write_premortem(pm, r, path, svc_by_id):
    lines = ["+++",
             "title = %s" % toml_str(pm["title"]),
             "date = %s" % pm["date"].isoformat(),
             "summary = %s" % toml_str(pm["summary"]),
             "authors = %s" % toml_list(pm["authors"]),
             "status = %s" % toml_str(pm["status"]),
             "services = %s" % toml_list(pm["services"]),
             "tags = %s" % toml_list(pm["tags"]),
             "visibility = %s" % toml_str(pm["visibility"])]
    for risk in pm["risks"]:
        lines += ["", "[[risks]]",
                  "id = %s" % toml_str(risk["id"]),
                  "title = %s" % toml_str(risk["title"]),
                  "likelihood = %s" % toml_str(risk["likelihood"]),
                  "impact = %s" % toml_str(risk["impact"]),
                  "mitigation = %s" % toml_str(risk["mitigation"]),
                  "owner = %s" % toml_str(risk["owner"])]
    lines.append("+++")
    svc = svc_by_id[pm["services"][0]]
    ctx = Filler(name=svc[1], svc=svc[0], team=svc[3], team2=ch(r, TEAMS), tier=svc[4],
                 dep=ch(r, SERVICES)[1], project="%s" % pm["project"].lower(), region=ch(r, REGIONS),
                 short="a failure nobody had rehearsed", fixshort="shifted traffic away from the affected region",
                 _used={})
    ctx.r = r
    body = ["", "## The exercise", ""]
    body += [" ".join(fill(t, ctx) for t in r.sample(PREMORTEM_TEXT, 4)), ""]
    body += ["## Assume the project failed", ""]
    for p in prose(r, ctx, PREMORTEM_TEXT + POOLS["root"], ri(r, 120, 400)):
        body += [p, ""]
    body += ["## Risks", ""]
    for risk in pm["risks"]:
        body += ["### %s" % risk["title"], "",
                 "Likelihood %s, impact %s. %s. %s" % (risk["likelihood"], risk["impact"], risk["mitigation"],
                                                       paragraph(r, ctx, POOLS["root"], ri(r, 1, 3))), ""]
    body += ["## What we can still do", ""]
    for p in prose(r, ctx, POOLS["actions"] + POOLS["resolution"], ri(r, 60, 250)):
        body += [p, ""]
    text = "\n".join(lines + body)
    check_blameless(text, path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def gen_incident(r):
    span = (END - START).total_seconds() / 60
    started = START + dt.timedelta(minutes=int(span * r.random() ** 0.6))
    detect = min(600, max(0, int(r.lognormvariate(1.8, 1.0))))
    mitig = min(2880, max(2, int(r.lognormvariate(3.5, 1.0))))
    if r.random() < 0.7:
        resol = ri(r, 0, 60)
    else:
        resol = min(5760, int(r.lognormvariate(5.9, 0.9)))
    detected = started + dt.timedelta(minutes=detect)
    mitigated = detected + dt.timedelta(minutes=mitig)
    resolved = mitigated + dt.timedelta(minutes=resol)
    return started, detected, mitigated, resolved


def build_postmortems(r, count, premortems, people, svc_zipf, tag_zipf, theme_zipf):
    docs = []
    for _ in range(count):
        started, detected, mitigated, resolved = gen_incident(r)
        docs.append(dict(started=started, detected=detected, mitigated=mitigated, resolved=resolved))
    docs.sort(key=lambda d: d["started"])
    # distinct start minutes, so "earlier" is well defined for related links
    prev = None
    for d in docs:
        if prev is not None and d["started"] <= prev:
            shift = prev - d["started"] + dt.timedelta(minutes=1)
            for k in ("started", "detected", "mitigated", "resolved"):
                d[k] += shift
        prev = d["started"]
    by_service = {}
    published_slugs = []
    for i, d in enumerate(docs):
        theme = theme_zipf.pick(r)
        svc = svc_zipf.pick(r)
        sevroll = r.random()
        sev = "sev1" if sevroll < 0.05 else "sev2" if sevroll < 0.25 else "sev3" if sevroll < 0.7 else "sev4"
        sroll = r.random()
        status = "draft" if sroll < 0.02 else "in-review" if sroll < 0.05 else "published"
        words = [svc[0]] + theme["slug"]
        slug = "%s-%s-%d" % (d["started"].date().isoformat(), "-".join(words), i + 1)
        others = svc_zipf.sample(r, r.choices([0, 1, 2], [60, 30, 10])[0], exclude=(svc,))
        tags = []
        for t in r.sample(theme["tags"], ri(r, 1, 2)) + [ch(r, svc[5])]:
            if t not in tags:
                tags.append(t)
        want = ri(r, 2, 5)
        if len(tags) > want:
            tags = tags[:want]
        while len(tags) < want:
            t = tag_zipf.pick(r)
            if t not in tags:
                tags.append(t)
        # related: earlier, non-draft postmortems, preferably of the same service
        related = []
        nrel = r.choices([0, 1, 2, 3], [50, 30, 15, 5])[0]
        pool = by_service.get(svc[0], [])
        for _ in range(nrel):
            if pool and r.random() < 0.7:
                cand = pool[-1 - int(min(len(pool) - 1, r.expovariate(0.3)))]
            elif published_slugs:
                cand = published_slugs[int(len(published_slugs) * r.random())]
            else:
                break
            if cand not in related:
                related.append(cand)
        # premortem references: about 5%, to premortems written before the incident
        pm_refs = []
        if r.random() < 0.05:
            earlier = [p for p in premortems if p["date"] < d["started"].date()]
            if earlier:
                for p in r.sample(earlier[-12:], min(len(earlier[-12:]), ch(r, [1, 1, 1, 2]))):
                    if r.random() < 0.85:
                        pm_refs.append("%s#%s" % (p["slug"], ch(r, p["risks"])["id"]))
                    else:
                        pm_refs.append(p["slug"])
        if r.random() < 0.10:
            d["detected"] = None
        if r.random() < 0.15:
            d["mitigated"] = None
        date = d["resolved"].date() + dt.timedelta(days=ri(r, 1, 7))
        if date > LATEST_DATE:
            date = LATEST_DATE
        d.update(slug=slug, theme=theme, svc=svc, others=others, sev=sev, status=status, tags=tags,
                 related=related, pm_refs=pm_refs, date=date,
                 authors=r.sample(people, r.choices([1, 2, 3], [50, 35, 15])[0]),
                 visibility="internal" if r.random() < 0.10 else "public")
        if status != "draft":
            by_service.setdefault(svc[0], []).append(slug)
            published_slugs.append(slug)
    return docs


def gen_actions(r, ctx, d):
    sev = d["sev"]
    if sev in ("sev1", "sev2"):
        n = ri(r, 2, 6)
    else:
        n = r.choices([0, 1, 2, 3, 4, 5, 6], [15, 20, 25, 20, 10, 6, 4])[0]
    age_days = (LATEST_DATE - d["date"]).days
    acts = []
    seen = []
    for _ in range(n):
        kind = ch(r, ["prevent", "prevent", "mitigate", "detect", "process"])
        title = fill(ch(r, ACTION_TEMPLATES[kind]), ctx)
        if title in seen:
            continue
        seen.append(title)
        if age_days > 365:
            status = r.choices(["done", "wont-do", "open", "in-progress"], [80, 10, 6, 4])[0]
        elif age_days > 60:
            status = r.choices(["done", "wont-do", "open", "in-progress"], [50, 8, 22, 20])[0]
        else:
            status = r.choices(["done", "wont-do", "open", "in-progress"], [15, 3, 52, 30])[0]
        due = d["date"] + dt.timedelta(days=ch(r, [7, 14, 21, 30, 45, 60, 90]))
        if due > LATEST_DATE:
            due = LATEST_DATE
        owner = ch(r, [ctx["team"], ctx["team"], ctx["team2"], ch(r, ROLES_OWNERS)])
        acts.append(dict(title=title, owner=owner, kind=kind, status=status, due=due,
                         link="https://github.com/acme/ops/issues/%d" % ri(r, 100, 99999)))
    return acts


ROLES_OWNERS = ["sre-team", "platform-oncall", "storage-oncall", "security-team", "support-tools-team"]


def timeline(r, ctx, d, nmiddle):
    started, resolved = d["started"], d["resolved"]
    mit = d["mitigated"] or resolved
    det = d["detected"] or min(mit, started + dt.timedelta(minutes=ri(r, 1, 15)))
    events = []
    if r.random() < 0.7:
        events.append((started - dt.timedelta(minutes=ri(r, 1, 30)), ch(r, TIMELINE_EVENTS["pre"])))
    events.append((started, ch(r, TIMELINE_EVENTS["start"])))
    events.append((det, ch(r, TIMELINE_EVENTS["detect"])))
    span = max(1, int((mit - det).total_seconds() // 60))
    mids = sorted(ri(r, 0, span) for _ in range(nmiddle))
    # the middle events keep their narrative order; extra ones are status notes
    pool = TIMELINE_EVENTS["middle"]
    chosen = [pool[i] for i in sorted(r.sample(range(len(pool)), min(nmiddle, len(pool))))]
    while len(chosen) < nmiddle:
        chosen.insert(ri(r, 1, len(chosen)), ch(r, TIMELINE_EVENTS["note"]))
    for m, e in zip(mids, chosen):
        events.append((det + dt.timedelta(minutes=m), e))
    events.append((mit, ch(r, TIMELINE_EVENTS["mitigate"])))
    if resolved > mit or r.random() < 0.5:
        events.append((resolved, ch(r, TIMELINE_EVENTS["resolve"])))
    events.sort(key=lambda e: e[0])
    same_day = events[0][0].date() == events[-1][0].date()
    if same_day and r.random() < 0.6:
        return ["- %s UTC: %s" % (t.strftime("%H:%M"), cap(fill(e, ctx))) for t, e in events]
    out = ["| Time (UTC) | Event |", "| --- | --- |"]
    out += ["| %s | %s |" % (t.strftime("%Y-%m-%d %H:%M"), cap(fill(e, ctx))) for t, e in events]
    return out


IMPACT_BY_SEV = {
    "sev1": "was unavailable to most customers",
    "sev2": "returned errors for a large share of requests",
    "sev3": "was degraded for some customers",
    "sev4": "showed elevated errors with little customer impact",
}


def write_postmortem(d, r, path, svc_by_id):
    svc = d["svc"]
    theme = d["theme"]
    dep = svc_by_id[d["others"][0]][1] if d["others"] else ch(r, SERVICES)[1]
    started, resolved = d["started"], d["resolved"]
    minutes = (resolved - started).total_seconds() / 60
    ttd = (d["detected"] - started).total_seconds() / 60 if d["detected"] else None
    ctx = Filler(
        name=svc[1], svc=svc[0], team=svc[3], team2=ch(r, TEAMS), tier=svc[4], dep=dep,
        region=ch(r, REGIONS), short=theme["short"], dur=human_duration(minutes),
        ttd=human_duration(ttd) if ttd is not None else "several minutes",
        sevlabel=d["sev"].upper().replace("SEV", "SEV-"), impact=IMPACT_BY_SEV[d["sev"]],
        day=started.date().isoformat(), start=started.strftime("%H:%M"), end=resolved.strftime("%H:%M"),
        start_iso=started.strftime("%Y-%m-%d %H:%M:%S"), end_iso=resolved.strftime("%Y-%m-%d %H:%M:%S"),
        fixshort=theme["fix"][0][0].lower() + theme["fix"][0][1:].rstrip(".").replace("We ", "").replace("we ", ""),
        ver="v%d.%d.%d" % (ri(r, 1, 9), ri(r, 0, 40), ri(r, 0, 20)),
    )
    ctx.r = r
    ctx["_used"] = {}
    ctx["fixshort"] = ctx["fixshort"].split(" and ")[0].rstrip(",")
    title = fill(ch(r, theme["titles"]), ctx)
    summary = fill("{name} {impact} for {dur} because of {short}.", ctx)
    actions = gen_actions(r, ctx, d)

    fm = ["+++",
          "title = %s" % toml_str(title),
          "date = %s" % d["date"].isoformat(),
          "summary = %s" % toml_str(summary),
          "authors = %s" % toml_list(d["authors"]),
          "status = %s" % toml_str(d["status"]),
          "severity = %s" % toml_str(d["sev"]),
          "services = %s" % toml_list([svc[0]] + d["others"]),
          "tags = %s" % toml_list(d["tags"])]
    if d["visibility"] != "public" or r.random() < 0.5:
        fm.append("visibility = %s" % toml_str(d["visibility"]))
    if d["pm_refs"]:
        fm.append("premortems = %s" % toml_list(d["pm_refs"]))
    if d["related"]:
        fm.append("related = %s" % toml_list(d["related"]))
    fm += ["", "[incident]", "started = %s" % rfc3339(started)]
    if d["detected"]:
        fm.append("detected = %s" % rfc3339(d["detected"]))
    if d["mitigated"]:
        fm.append("mitigated = %s" % rfc3339(d["mitigated"]))
    fm.append("resolved = %s" % rfc3339(resolved))
    for a in actions:
        fm += ["", "[[actions]]", "title = %s" % toml_str(a["title"]), "owner = %s" % toml_str(a["owner"]),
               "kind = %s" % toml_str(a["kind"]), "status = %s" % toml_str(a["status"]),
               "link = %s" % toml_str(a["link"]), "due = %s" % a["due"].isoformat()]
    fm.append("+++")

    # length: typical 600-1500 words, a tail of long documents
    roll = r.random()
    if roll < 0.06:
        target = ri(r, 3000, 5500)
    elif roll < 0.12:
        target = ri(r, 300, 600)
    else:
        target = int(min(1700, max(400, r.lognormvariate(6.45, 0.35))))
    sev_core = d["sev"] in ("sev1", "sev2")
    keep = lambda: sev_core or r.random() < 0.85
    ncode = r.choices([0, 1, 2, 3], [30, 40, 20, 10])[0]
    code_slots = r.sample(["root", "resolution", "detection", "support"], ncode)

    def code_for(section):
        if section in code_slots:
            lang = ch(r, theme["langs"]) if r.random() < 0.7 else ch(r, LANGS)
            return [ch(r, CODE_INTROS), code_block(r, ctx, lang)]
        return []

    body = [""]

    def section(heading, paras):
        body.append("## " + heading)
        body.append("")
        for p in paras:
            body.append(p)
            body.append("")

    section("Summary", prose(r, ctx, POOLS["summary"], target * 0.06, first=fill(POOLS["summary"][0], ctx)))
    section("Impact", prose(r, ctx, POOLS["impact"], target * 0.12))
    section("Root causes", prose(r, ctx, POOLS["root"], target * 0.18, theme["cause"],
                                 first=fill(ch(r, theme["cause"]), ctx)) + code_for("root"))
    if keep():
        section("Trigger", prose(r, ctx, POOLS["trigger"], target * 0.06, theme["trigger"],
                                 first=fill(ch(r, theme["trigger"]), ctx)))
    section("Resolution", prose(r, ctx, POOLS["resolution"], target * 0.14, theme["fix"],
                                first=fill(ch(r, theme["fix"]), ctx)) + code_for("resolution"))
    if keep():
        section("Detection", prose(r, ctx, POOLS["detection"], target * 0.08) + code_for("detection"))
    acts = prose(r, ctx, POOLS["actions"], target * 0.04)
    if actions:
        acts.append("\n".join("- %s (%s, %s, %s)" % (a["title"], a["kind"], a["owner"], a["status"]) for a in actions))
    else:
        acts.append("No new action items: the work already planned for %s covers this failure." % svc[1])
    section("Action items", acts)
    if keep():
        body += ["## Lessons learned", ""]
        for heading, key, lo, hi in (("What went well", "well", 2, 6), ("What went wrong", "wrong", 2, 6),
                                     ("Where we got lucky", "lucky", 1, 3)):
            body += ["### " + heading, ""]
            n = ri(r, lo, hi) + (2 if target > 2500 else 0)
            items = r.sample(POOLS[key], min(n, len(POOLS[key])))
            body += ["- " + cap(fill(t, ctx)) for t in items]
            body.append("")
    nmid = max(2, min(30, int(target / 120 + ri(r, -2, 4))))
    body += ["## Timeline", ""] + timeline(r, ctx, d, nmid) + [""]
    if keep() or code_slots:
        sup = prose(r, ctx, POOLS["support"], target * 0.03)
        if d["related"] and r.random() < 0.4:
            sup.append("See also [the earlier incident](%s.md), which involved the same service." % d["related"][0])
        if d["pm_refs"] and r.random() < 0.6:
            sup.append("This risk was raised in the [premortem](../premortems/%s.md)." % d["pm_refs"][0].split("#")[0])
        sup += code_for("support")
        section("Supporting information", sup)
    text = "\n".join(fm + body)
    check_blameless(text, path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return len(text)


def write_config(out, tags):
    lines = ['title = "Acme Corp postmortems"',
             'base_url = "https://postmortems.example.com"',
             'description = "What broke, why, and what we changed."',
             'repo_url = "https://github.com/acme/postmortems"',
             'timezone = "UTC"', ""]
    for sid, label, desc in SEVERITIES:
        lines += ["[[severities]]", "id = %s" % toml_str(sid), "label = %s" % toml_str(label),
                  "description = %s" % toml_str(desc), ""]
    for sid, name, desc, owner, tier, _ in SERVICES:
        lines += ["[services.%s]" % sid, "name = %s" % toml_str(name), "description = %s" % toml_str(desc),
                  "owner = %s" % toml_str(owner), "tier = %d" % tier, ""]
    lines += ["[check]", "tags = ["]
    lines += ["  %s," % toml_str(t) for t in tags]
    lines += ["]", ""]
    with open(os.path.join(out, "hindsight.toml"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, required=True, help="number of postmortems")
    ap.add_argument("--out", required=True, help="directory to write the archive into")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--force", action="store_true", help="replace content/ if DIR already holds one")
    args = ap.parse_args(argv)
    if args.count < 1:
        ap.error("--count must be at least 1")
    assert len(SERVICES) == 50 and len({s[0] for s in SERVICES}) == 50
    assert len(TAGS) == 200 and len(set(TAGS)) == 200, len(TAGS)
    for th in THEMES:
        assert all(t in TAGS for t in th["tags"]), th["key"]
    for s in SERVICES:
        assert all(t in TAGS for t in s[5]), s[0]

    t0 = time.perf_counter()
    r = random.Random(args.seed)
    content = os.path.join(args.out, "content")
    if os.path.exists(content):
        if not args.force and os.listdir(content):
            ap.error("%s already exists (use --force to replace it)" % content)
        shutil.rmtree(content)
    pm_dir = os.path.join(content, "premortems")
    pmd_dir = os.path.join(content, "postmortems")
    os.makedirs(pm_dir)
    os.makedirs(pmd_dir)

    tag_order = list(TAGS)
    r.shuffle(tag_order)
    tag_zipf = Zipf(tag_order, 0.9)
    svc_order = list(SERVICES)
    r.shuffle(svc_order)
    svc_zipf = Zipf(svc_order, 0.7)
    svc_id_zipf = Zipf([s[0] for s in svc_order], 0.7)
    team_zipf = Zipf(TEAMS, 0.5)
    theme_zipf = Zipf(sorted(THEMES, key=lambda t: -t["weight"]), 0.6)
    svc_by_id = {s[0]: s for s in SERVICES}
    people = make_people(r)

    write_config(args.out, TAGS)
    npm = max(2, int(round(args.count / 100.0)))
    premortems = gen_premortems(r, npm, people, team_zipf, svc_id_zipf, tag_zipf)
    for pm in premortems:
        write_premortem(pm, r, os.path.join(pm_dir, pm["slug"] + ".md"), svc_by_id)
    docs = build_postmortems(r, args.count, premortems, people, svc_zipf, tag_zipf, theme_zipf)
    # others were picked as service tuples; keep ids
    for d in docs:
        d["others"] = [s[0] for s in d["others"]]
    total = 0
    for d in docs:
        total += write_postmortem(d, r, os.path.join(pmd_dir, d["slug"] + ".md"), svc_by_id)
    dt_s = time.perf_counter() - t0
    print("generated %d postmortems and %d premortems (%.1f MB of postmortems) in %s in %.1f s"
          % (len(docs), len(premortems), total / 1e6, args.out, dt_s), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
