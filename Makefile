# clickstream: every user-facing command. `make help` lists them.
MVN ?= mvn -B -ntp
ARGS ?=

# Kubernetes: pinned versions (architecture §6, §9)
CLUSTER ?= clickstream
NAMESPACE ?= clickstream
STRIMZI_VERSION ?= 1.2.0
SPARK_OPERATOR_VERSION ?= 2.5.2
IMAGE_TAG ?= 0.1.0
RELEASE ?= clickstream
TARGET ?= driver
KUBE_PROMETHEUS_STACK_VERSION ?= 88.2.0
# make psql: the read-only role, the Secret of its password and the database (the chart's postgres.roles.reader,
# postgres.existingSecret or <release>-postgres, postgres.database)
PG_READER ?= clickstream_reader
PG_SECRET ?= $(RELEASE)-postgres
PG_DATABASE ?= clickstream
# kind-config.yaml pins a node image built by this kind release
KIND_VERSION ?= v0.33.0
KAFKA_UI_VERSION ?= 1.5.3
# Pod Security Standard the namespace enforces (make kind-up): restricted, baseline or privileged
POD_SECURITY ?= restricted
MONITORING_NAMESPACE ?= monitoring
# Images are built for this machine's architecture (kind's nodes run on it): amd64 or arm64
ARCH ?= $(shell uname -m | sed -e 's/^x86_64$$/amd64/' -e 's/^aarch64$$/arm64/')
# make down KEEP_DATA=1 keeps ./data/kind (lake and checkpoints) for the next cluster
KEEP_DATA ?=
# make fuzz FUZZ_DURATION=30m: how long Jazzer searches the contract's validator (a Go-style duration: 90s, 5m, 1h)
FUZZ_DURATION ?= 5m
# make test FIXTURES=containers|embedded|auto: which Kafka and Postgres the tests get (default auto: the real
# images under Testcontainers where Docker answers, in-process/embedded elsewhere)
FIXTURES ?=

.DEFAULT_GOAL := help

.PHONY: help run clean-data build test fuzz produce pipeline recompute bench bench-sessions bench-hostile audit clean \
	kind-up operators image-tars images deploy status logs psql produce-now recover verify drill diagnose e2e down \
	monitoring-local monitoring grafana spark-ui kafka-ui

run: build ## the whole pipeline on this machine: embedded Kafka + PostgreSQL, producer, Spark, Delta lake (ARGS="--rate 200 ...")
	java $$(cat app/target/jvm.options) -Xmx3g -cp 'local/target/classes:local/target/lib/*' dev.clickstream.local.LocalClickstream $(ARGS)

monitoring-local: ## a local Prometheus (Debian's prometheus package) scraping make run's /metrics with the alert rules: http://127.0.0.1:9090
	@command -v prometheus >/dev/null || { echo "prometheus is not installed (Debian/Ubuntu: apt-get install prometheus)"; exit 1; }
	mkdir -p data/prometheus
	@echo "Prometheus: http://127.0.0.1:9090 (alerts: /alerts); it scrapes 127.0.0.1:9464, so run make run beside it"
	prometheus --config.file=local/prometheus.yml --storage.tsdb.path=data/prometheus --web.listen-address=127.0.0.1:9090

clean-data: ## delete ./data (Kafka log, PostgreSQL, lake, checkpoints) so that make run starts over
	rm -rf ./data

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

build: ## compile and package: producer/target/clickstream-producer.jar, app/target/clickstream-app.jar (+ lib/)
	$(MVN) -q install -DskipTests

test: ## run every test (unit + integration; Kafka and PostgreSQL in-process/embedded, or real images with Docker: FIXTURES)
	$(MVN) install $(if $(FIXTURES),-Dclickstream.fixtures=$(FIXTURES))

fuzz: ## fuzz the contract's validator with Jazzer for FUZZ_DURATION (default 5m); a failing input lands in its corpus, which make test replays
	$(MVN) -q install -DskipTests -pl contract -am
	JAZZER_FUZZ=1 $(MVN) test -pl contract -Dtest='EventRecordParserFuzzTest#acceptsOrRejectsAnyBytes' \
		-Djazzer.max_duration=$(FUZZ_DURATION) -Djazzer.instrument='dev.clickstream.**,com.fasterxml.jackson.core.**' \
		-Dtest.redirectOutput=false

produce: build ## run the producer CLI, e.g. make produce ARGS="--output - --count 5"
	java -jar producer/target/clickstream-producer.jar $(ARGS)

pipeline: build ## run the Spark pipeline against KAFKA_BOOTSTRAP_SERVERS / JDBC_URL / DB_USER / DB_PASSWORD from the environment
	java $$(cat app/target/jvm.options) -cp 'app/target/clickstream-app.jar:app/target/lib/*' dev.clickstream.app.ClickstreamPipeline $(ARGS)

recompute: build ## rebuild the results of a closed time range from the lake: make recompute FROM=2026-11-23T12:00:00Z TO=2026-11-23T13:00:00Z (settings from the environment, as make pipeline)
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "make recompute needs FROM and TO, ISO-8601 instants (e.g. FROM=2026-11-23T12:00:00Z TO=2026-11-23T13:00:00Z)"; exit 2; }
	java $$(cat app/target/jvm.options) -cp 'app/target/clickstream-app.jar:app/target/lib/*' dev.clickstream.app.Recompute --from '$(FROM)' --to '$(TO)' $(ARGS)

bench: build ## throughput against the plain-consumer ceiling (each query alone, all together), latency at 5k and 20k events/s; report + charts in bench/results (ARGS="--help")
	java $$(cat app/target/jvm.options) -Xmx6g -cp 'bench/target/classes:bench/target/lib/*' dev.clickstream.bench.ClickstreamBenchmark $(ARGS)

bench-sessions: build ## benchmark session state: 100k users, 10 min of event time (ARGS="users events/s minutes"); long sessions: ARGS="long [users] [hours]"
	java $$(cat app/target/jvm.options) -Xmx6g -cp 'bench/target/classes:bench/target/lib/*' dev.clickstream.bench.SessionStateBenchmark $(ARGS)

bench-hostile: build ## what one key can make the pipeline hold: a bot user (100k events in a minute), 1M users in one window, a year of event dates (ARGS="botEvents windowUsers"); report in bench/results
	java $$(cat app/target/jvm.options) -Xmx6g -cp 'bench/target/classes:bench/target/lib/*' dev.clickstream.bench.HostileKeyBenchmark $(ARGS)

audit: build ## list the runtime dependencies of every module that have a known vulnerability (audit/known-vulnerabilities.csv; no network)
	$(MVN) -q dependency:list -DincludeScope=runtime -DoutputFile=target/runtime-dependencies.txt
	java -cp 'ops/target/classes:ops/target/lib/*' dev.clickstream.ops.DependencyAudit audit/known-vulnerabilities.csv */target/runtime-dependencies.txt

clean: ## delete build output
	$(MVN) -q clean

kind-up: ## create the kind cluster (kind-config.yaml), the namespace and the hostPath volume for checkpoints and lake
	@kind version | grep -q "kind $(KIND_VERSION) " || echo "warning: kind-config.yaml pins a node image of kind $(KIND_VERSION); this is $$(kind version)"
	mkdir -p data/kind && chmod 0777 data/kind
	kind create cluster --config kind-config.yaml
	kubectl create namespace $(NAMESPACE) --dry-run=client -o yaml | kubectl apply -f -
	# every pod in the namespace must meet the restricted Pod Security Standard, checked at admission
	kubectl label namespace $(NAMESPACE) pod-security.kubernetes.io/enforce=$(POD_SECURITY) \
	  pod-security.kubernetes.io/enforce-version=latest --overwrite
	kubectl apply -f k8s/data-pv.yaml

operators: ## install Strimzi and the Kubeflow Spark Operator from their official Helm charts (pinned)
	helm repo add spark-operator https://kubeflow.github.io/spark-operator --force-update
	# Strimzi publishes its chart as an OCI artifact; the strimzi.io/charts repository is deprecated
	helm upgrade --install strimzi oci://quay.io/strimzi-helm/strimzi-kafka-operator --version $(STRIMZI_VERSION) \
	  --namespace strimzi --create-namespace -f k8s/strimzi-values.yaml --wait
	helm upgrade --install spark-operator spark-operator/spark-operator --version $(SPARK_OPERATOR_VERSION) \
	  --namespace spark-operator --create-namespace -f k8s/spark-operator-values.yaml --wait

image-tars: ## build both images as tars with Jib (no Docker build) for this machine's architecture (ARCH=amd64|arm64)
	@echo "building images for linux/$(ARCH)"
	$(MVN) -q install -DskipTests
	$(MVN) -q -Pimage -pl app package jib:buildTar -Dmaven.test.skip=true -Dimage.tag=$(IMAGE_TAG) -Djib.from.platforms=linux/$(ARCH)
	$(MVN) -q -pl producer package jib:buildTar -Dmaven.test.skip=true -Dimage.tag=$(IMAGE_TAG) -Djib.from.platforms=linux/$(ARCH)

images: image-tars ## build both images (make image-tars) and load them into kind
	kind load image-archive app/target/image/jib-image.tar --name $(CLUSTER)
	kind load image-archive producer/target/jib-image.tar --name $(CLUSTER)

deploy: ## install or upgrade the chart (Kafka, topics, Postgres, storage, SparkApplication, producer CronJob)
	helm upgrade --install $(RELEASE) helm/clickstream --namespace $(NAMESPACE) \
	  --set app.image.tag=$(IMAGE_TAG) --set producer.image.tag=$(IMAGE_TAG) --wait --timeout 10m $(ARGS)

status: ## what runs: Kafka, topics, the SparkApplication, pods
	kubectl -n $(NAMESPACE) get kafka,kafkanodepools,kafkatopics,sparkapplications,pods,pvc

logs: ## follow the Spark driver's log (one line per micro-batch per query)
	kubectl -n $(NAMESPACE) logs -f $(RELEASE)-pipeline-driver

psql: ## port-forward Postgres and open psql on the results as the read-only role (PG_READER, PG_SECRET, PG_DATABASE: the chart's defaults)
	kubectl -n $(NAMESPACE) port-forward svc/$(RELEASE)-postgres 15432:5432 >/dev/null & \
	  sleep 2; PGPASSWORD=$$(kubectl -n $(NAMESPACE) get secret $(PG_SECRET) -o jsonpath='{.data.reader-password}' | base64 -d) \
	  psql -h 127.0.0.1 -p 15432 -U $(PG_READER) $(PG_DATABASE); kill %1

produce-now: ## run the producer once now (a Job from the CronJob)
	kubectl -n $(NAMESPACE) create job --from=cronjob/$(RELEASE)-producer $(RELEASE)-producer-manual-$$(date +%s)

recover: build ## delete the driver pod, wait for the operator's new submission and a Ready driver, and show it resumed from its checkpoints
	java -cp 'ops/target/classes:ops/target/lib/*' dev.clickstream.ops.OpsCli --namespace $(NAMESPACE) --release $(RELEASE) recover

e2e: image-tars ## the whole chart end to end on k3s in Docker (Testcontainers): operators, chart, ops verify, drills (Docker, ~6 GiB)
	$(MVN) -pl deploy test -Dtest=EndToEndK3sTest -Dsurefire.failIfNoSpecifiedTests=false -Dclickstream.e2e=true \
	  -Dtest.redirectOutput=false

diagnose: build ## write the SparkApplication, pods, events, Strimzi conditions and the driver's log tail to target/diagnose
	java -cp 'ops/target/classes:ops/target/lib/*' dev.clickstream.ops.OpsCli --namespace $(NAMESPACE) --release $(RELEASE) diagnose --output target/diagnose

verify: build ## check the installation: Kafka, topics, Postgres, SparkApplication, micro-batches, tables and lake growing
	java -cp 'ops/target/classes:ops/target/lib/*' dev.clickstream.ops.OpsCli --namespace $(NAMESPACE) --release $(RELEASE) verify

drill: build ## kill a pod (TARGET=driver|executor|postgres|kafka) and prove recovery: final results unchanged, downtime
	java -cp 'ops/target/classes:ops/target/lib/*' dev.clickstream.ops.OpsCli --namespace $(NAMESPACE) --release $(RELEASE) drill --target $(TARGET)

monitoring: ## install kube-prometheus-stack (Prometheus, Alertmanager, Grafana; official chart, pinned); then make deploy again
	helm repo add prometheus-community https://prometheus-community.github.io/helm-charts --force-update
	helm upgrade --install kube-prometheus-stack prometheus-community/kube-prometheus-stack \
	  --version $(KUBE_PROMETHEUS_STACK_VERSION) --namespace $(MONITORING_NAMESPACE) --create-namespace \
	  -f k8s/monitoring-values.yaml --wait --timeout 10m

grafana: ## port-forward Grafana to http://127.0.0.1:3000 and print its login (dashboard "clickstream pipeline")
	@echo "Grafana: http://127.0.0.1:3000  user: admin  password: $$(kubectl -n $(MONITORING_NAMESPACE) get secret \
	  kube-prometheus-stack-grafana -o jsonpath='{.data.admin-password}' | base64 -d)  (Ctrl-C stops the port-forward)"
	kubectl -n $(MONITORING_NAMESPACE) port-forward svc/kube-prometheus-stack-grafana 3000:80

spark-ui: ## port-forward the driver's Spark UI to http://127.0.0.1:4040 (Structured Streaming tab: every query)
	@echo "Spark UI: http://127.0.0.1:4040/StreamingQuery/  (Ctrl-C stops the port-forward)"
	kubectl -n $(NAMESPACE) port-forward pod/$(RELEASE)-pipeline-driver 4040:4040

kafka-ui: ## install kafbat kafka-ui (official chart, pinned; read-only) and port-forward it to http://127.0.0.1:8080
	helm repo add kafbat https://kafbat.github.io/helm-charts --force-update
	helm upgrade --install kafka-ui kafbat/kafka-ui --version $(KAFKA_UI_VERSION) --namespace $(NAMESPACE) \
	  -f k8s/kafka-ui-values.yaml --wait
	@echo "kafka-ui: http://127.0.0.1:8080  (user_activity_dlq: each record's error and reason headers)"
	kubectl -n $(NAMESPACE) port-forward svc/kafka-ui 8080:80

down: ## delete the kind cluster and wipe ./data/kind (KEEP_DATA=1 keeps the lake and checkpoints)
	@# the files belong to the Spark image's uid 185: delete them as root inside the node, while it exists
	@if [ "$(KEEP_DATA)" != "1" ]; then \
	  docker exec $(CLUSTER)-control-plane find /clickstream-data -mindepth 1 -delete \
	  || echo "could not wipe ./data/kind through the node (is the cluster running?): sudo rm -rf data/kind/*"; fi
	kind delete cluster --name $(CLUSTER)
