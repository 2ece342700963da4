{{/* Chart name, overridable. */}}
{{- define "causeway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Full name: the release name, plus the chart name when the release name does not contain it.
Trimmed to 50 characters so suffixes like "-admin" and "-migrate" stay within 63.
*/}}
{{- define "causeway.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "causeway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels shared by every object of the release. */}}
{{- define "causeway.labels" -}}
helm.sh/chart: {{ include "causeway.chart" . }}
{{ include "causeway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: rein
{{- end -}}

{{/* Labels that select every pod of the release (server and migration). */}}
{{- define "causeway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "causeway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels that select the server pods only (Services, PDB, Deployment). */}}
{{- define "causeway.serverSelectorLabels" -}}
{{ include "causeway.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "causeway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "causeway.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "causeway.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* True ("true") when secret.literals holds at least one non-empty value. */}}
{{- define "causeway.createSecret" -}}
{{- $create := false -}}
{{- range $k, $v := .Values.secret.literals -}}
{{- if $v -}}{{- $create = true -}}{{- end -}}
{{- end -}}
{{- if $create -}}true{{- end -}}
{{- end -}}

{{- define "causeway.secretName" -}}
{{- if include "causeway.createSecret" . -}}
{{- printf "%s-secrets" (include "causeway.fullname" .) -}}
{{- else -}}
{{- required "secret.existingSecret (or secret.literals) is required" .Values.secret.existingSecret -}}
{{- end -}}
{{- end -}}

{{/*
Secret environment variables: DATABASE_URL and REDIS_URL must exist in the Secret; the others
are optional (a missing key leaves the variable unset, which turns that feature off).
*/}}
{{- define "causeway.secretEnv" -}}
{{- $secret := include "causeway.secretName" . -}}
{{- range $name := list "DATABASE_URL" "REDIS_URL" }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $name }}
{{- end }}
{{- range $name := list "CAUSEWAY_DEPOSIT_XPUB" "CAUSEWAY_SMTP_URL" "CAUSEWAY_BITCOIND_URL" "CAUSEWAY_BITCOIND_USER" "CAUSEWAY_BITCOIND_PASSWORD" }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $name }}
      optional: true
{{- end }}
{{- end -}}

{{/* The /tmp emptyDir volume mount. */}}
{{- define "causeway.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{/*
True ("true") when tracing is configured: extraEnv names an OTLP endpoint
(OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) with a value or a
valueFrom. An empty value leaves tracing off, as the binary reads it.
*/}}
{{- define "causeway.tracingEnabled" -}}
{{- $on := false -}}
{{- range .Values.extraEnv -}}
{{- if and (has .name (list "OTEL_EXPORTER_OTLP_ENDPOINT" "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) (or .value .valueFrom) -}}
{{- $on = true -}}
{{- end -}}
{{- end -}}
{{- if $on -}}true{{- end -}}
{{- end -}}

{{/* Labels of the `helm test` Pod (selected by the NetworkPolicy like every pod of the release). */}}
{{- define "causeway.testSelectorLabels" -}}
{{ include "causeway.selectorLabels" . }}
app.kubernetes.io/component: test
{{- end -}}
