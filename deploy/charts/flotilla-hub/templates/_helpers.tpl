{{- define "flotilla-hub.labels" -}}
app.kubernetes.io/name: flotilla-hub
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: flotilla
{{- end }}
{{- define "flotilla-hub.selector" -}}
app.kubernetes.io/name: flotilla-hub
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
{{- define "flotilla-hub.image" -}}
{{- if .Values.image.reference }}{{ .Values.image.reference }}{{ else }}{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}{{ end }}
{{- end }}
{{- define "flotilla-hub.natsUrl" -}}
{{- .Values.nats.externalUrl | default (printf "nats://%s-nats:4222" .Release.Name) }}
{{- end }}
