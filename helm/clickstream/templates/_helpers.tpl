{{/* Kubernetes recommended labels. */}}
{{- define "clickstream.labels" -}}
app.kubernetes.io/name: clickstream
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: clickstream
{{- end -}}

{{/* Postgres names: StatefulSet, services and Secret share one prefix. */}}
{{- define "clickstream.postgres" -}}{{ .Release.Name }}-postgres{{- end -}}

{{/* The Secret holding the Postgres passwords (keys superuser-, owner-, writer-, reader-password). */}}
{{- define "clickstream.postgresSecret" -}}
{{ .Values.postgres.existingSecret | default (include "clickstream.postgres" .) }}
{{- end -}}

{{/*
How a Spark application signs in to Postgres: as the writer role, its password by reference to the Secret (entries
of a SparkApplication driver's envVars and envSecretKeyRefs). It never holds the schema owner's password: the
migrations Job applies the schema (schema-migrations-job.yaml) and the driver only checks the tables it writes. Call with (dict "root" $ "part" "envVars" | "envSecretKeyRefs").
*/}}
{{- define "clickstream.databaseEnv" -}}
{{- $v := .root.Values -}}
{{- if eq .part "envVars" -}}
JDBC_URL: {{ include "clickstream.jdbcUrl" .root }}
DB_USER: {{ $v.postgres.roles.writer | quote }}
# the migrations Job applies the schema as the owner; the driver only checks the tables it writes
DB_MIGRATIONS: verify
{{- else -}}
DB_PASSWORD:
  name: {{ include "clickstream.postgresSecret" .root }}
  key: writer-password
{{- end -}}
{{- end -}}

{{/* The JDBC URL the Spark application uses (the ClusterIP service). */}}
{{- define "clickstream.jdbcUrl" -}}
jdbc:postgresql://{{ include "clickstream.postgres" . }}:5432/{{ .Values.postgres.database }}
{{- end -}}

{{/* Strimzi's bootstrap service for the cluster: the TLS + SCRAM listener, or the plain one without security. */}}
{{- define "clickstream.bootstrap" -}}
{{ .Values.kafka.clusterName }}-kafka-bootstrap:{{ if .Values.security.kafkaAuthentication }}9093{{ else }}9092{{ end }}
{{- end -}}

{{/* KafkaUser names (and so the names of the Secrets Strimzi generates for them). */}}
{{- define "clickstream.kafkaUser.pipeline" -}}{{ .Release.Name }}-pipeline{{- end -}}
{{- define "clickstream.kafkaUser.producer" -}}{{ .Release.Name }}-producer{{- end -}}
{{- define "clickstream.kafkaUser.kafkaUi" -}}{{ .Release.Name }}-kafka-ui{{- end -}}

{{/*
Kafka client settings of a pod (architecture §5), as container env entries. With security on: SASL_SSL with
SCRAM-SHA-512, the JAAS line from the client's KafkaUser Secret and the cluster CA from Strimzi's
<cluster>-cluster-ca-cert Secret, both by reference (never a value in the manifest). Call with
(dict "root" $ "user" "<KafkaUser name>").
*/}}
{{- define "clickstream.kafkaClientEnv" -}}
{{- $v := .root.Values -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ include "clickstream.bootstrap" .root }}
{{- if $v.security.kafkaAuthentication }}
- name: KAFKA_SECURITY_PROTOCOL
  value: SASL_SSL
- name: KAFKA_SASL_MECHANISM
  value: SCRAM-SHA-512
- name: KAFKA_SASL_JAAS_CONFIG
  valueFrom:
    secretKeyRef: {name: {{ .user }}, key: sasl.jaas.config}
- name: KAFKA_SSL_TRUSTSTORE_CERTIFICATES
  valueFrom:
    secretKeyRef: {name: {{ $v.kafka.clusterName }}-cluster-ca-cert, key: ca.crt}
{{- end }}
{{- end -}}

{{/*
The restricted Pod Security Standard (kubernetes.io/docs/concepts/security/pod-security-standards): a
container's securityContext. The pod's securityContext adds runAsNonRoot, the user and seccompProfile RuntimeDefault.
*/}}
{{- define "clickstream.restrictedContainer" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}


{{/*
A Spark pod template (operator v2.5.2 hands it to spark-submit as spark.kubernetes.{driver,executor}.podTemplateFile;
Spark keeps its security contexts, volumes and the named container's mounts). The restricted profile, uid 185 (the
Spark image's user `spark`), and an emptyDir on /tmp: the image's /opt/entrypoint.sh writes /tmp/java_opts.txt, the
JVM its perf data, Spark its temporary files; Spark's local dirs are emptyDirs of their own. Call with
(dict "container" "spark-kubernetes-driver" | "spark-kubernetes-executor"), the container names the operator uses.
*/}}
{{- define "clickstream.sparkPodTemplate" -}}
spec:
  {{- if eq .container "spark-kubernetes-executor" }}
  # executors do not call the API server: no token in the pod
  automountServiceAccountToken: false
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 185
    runAsGroup: 185
    fsGroup: 185
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: {{ .container }}
      securityContext:
        {{- include "clickstream.restrictedContainer" . | nindent 8 }}
      volumeMounts:
        - {name: tmp, mountPath: /tmp}
  volumes:
    - {name: tmp, emptyDir: {}}
{{- end -}}

{{/*
What the pipeline's and the recompute's SparkApplications share: image, the application jar and libraries where
Jib puts them (checked against the built image by the tests), and the sparkConf that mounts the shared claim,
configures Delta and sizes the pods. Ends inside sparkConf, so that a caller adds its own settings below it.
*/}}
{{- define "clickstream.sparkApplicationCommon" -}}
{{- $mount := .Values.storage.mountPath -}}
type: Java
mode: cluster
image: {{ printf "%s:%s" .Values.app.image.repository .Values.app.image.tag | quote }}
imagePullPolicy: {{ .Values.app.image.pullPolicy | quote }}
sparkVersion: {{ .Values.app.sparkVersion | quote }}
mainApplicationFile: local:///app/classpath/clickstream-app.jar
sparkConf:
  spark.driver.extraClassPath: /app/libs/*
  spark.executor.extraClassPath: /app/libs/*
  spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName: {{ .Values.storage.claimName }}
  spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.path: {{ $mount }}
  spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName: {{ .Values.storage.claimName }}
  spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path: {{ $mount }}
  # Delta Lake (the lake table): its SQL extension and catalog, set before the session starts (Delta docs,
  # "Configure SparkSession"); the jars are in /app/libs. The same defaults are in the application's session.
  spark.sql.extensions: io.delta.sql.DeltaSparkSessionExtension
  spark.sql.catalog.spark_catalog: org.apache.spark.sql.delta.catalog.DeltaCatalog
  # CPU requested by the pods (less than the task slots of `cores`): Spark's running-on-kubernetes docs
  spark.kubernetes.driver.request.cores: {{ .Values.app.driver.requestCores | quote }}
  spark.kubernetes.executor.request.cores: {{ .Values.app.executor.requestCores | quote }}
  # 2 per task slot of the micro-batch queries (architecture §8): every executor slot, less one per input partition when
  # ingest may run in real-time mode (values.yaml, app.ingestMode). The application's own default counts the
  # driver's processors, which on a node without a CPU limit are the host's (32 on a 16-core laptop), frozen into
  # the checkpoints
  {{- $slots := mul .Values.app.executor.cores .Values.app.executor.instances }}
  {{- $partitions := .Values.kafka.topics.input.partitions }}
  {{- $batchSlots := $slots }}
  {{- if and (ne .Values.app.ingestMode "micro-batch") (ge (int $slots) (int (add $partitions 2))) }}
  {{- $batchSlots = sub $slots $partitions }}
  {{- end }}
  spark.sql.shuffle.partitions: {{ mul 2 $batchSlots | quote }}
  # the root filesystem is read-only: Spark's default warehouse is ./spark-warehouse in the image's work dir
  spark.sql.warehouse.dir: /tmp/spark-warehouse
  # Driver-executor RPC authenticated and encrypted (Spark's security docs: on Kubernetes Spark generates a secret
  # per application and hands it to the executors in an environment variable of their pod): task closures carry
  # the database password and the Kafka JAAS line
  spark.authenticate: "true"
  spark.network.crypto.enabled: "true"
  # What the driver would otherwise ask the API server for, beyond its executor pods (Spark's running-on-kubernetes
  # docs; KubernetesClusterSchedulerBackend, ExecutorPodsAllocator): no configmap for executors (the image has no
  # SPARK_CONF_DIR files to ship), no deleting services by label at the end (the driver service is garbage-collected
  # with the driver pod, its owner), no claims owned or reused (the claim is the chart's). The Role has no verb for
  # any of them (spark-rbac.yaml).
  spark.kubernetes.executor.disableConfigMap: "true"
  spark.kubernetes.driver.service.deleteOnTermination: "false"
  spark.kubernetes.driver.ownPersistentVolumeClaim: "false"
  spark.kubernetes.driver.reusePersistentVolumeClaim: "false"
{{- end -}}

{{/*
A duration value of the schema's "duration" form ("90 seconds", "2m", "1 hour") in milliseconds, for checks between
values that the schema cannot express. Call with the value.
*/}}
{{- define "clickstream.milliseconds" -}}
{{- $n := regexReplaceAll "^([0-9]+) ?([a-z]+)$" . "${1}" | int64 -}}
{{- $unit := regexReplaceAll "^([0-9]+) ?([a-z]+)$" . "${2}" -}}
{{- if regexMatch "^(ms|milliseconds?)$" $unit -}}{{ $n }}
{{- else if regexMatch "^(s|secs?|seconds?)$" $unit -}}{{ mul $n 1000 }}
{{- else if regexMatch "^(m|mins?|minutes?)$" $unit -}}{{ mul $n 60000 }}
{{- else if regexMatch "^(h|hours?)$" $unit -}}{{ mul $n 3600000 }}
{{- else -}}{{ mul $n 86400000 }}
{{- end -}}
{{- end -}}

{{/*
Egress rules every Spark pod needs: Kafka's client listener on the brokers (port 9093 with TLS + SCRAM, else 9092),
Postgres, and DNS. Call with (dict "root" $ "kafkaPort" 9093).
*/}}
{{- define "clickstream.egressKafkaPostgresDns" -}}
- to:
    - podSelector:
        matchLabels:
          strimzi.io/cluster: {{ .root.Values.kafka.clusterName }}
          strimzi.io/kind: Kafka
  ports:
    - {protocol: TCP, port: {{ .kafkaPort }}}
- to:
    - podSelector:
        matchLabels:
          app.kubernetes.io/instance: {{ .root.Release.Name }}
          app.kubernetes.io/component: postgres
  ports:
    - {protocol: TCP, port: 5432}
{{ include "clickstream.egressDns" .root }}
{{- end -}}

{{/* Egress to the cluster's DNS (CoreDNS, label k8s-app=kube-dns, in kube-system), UDP and TCP 53. */}}
{{- define "clickstream.egressDns" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
{{- end -}}
