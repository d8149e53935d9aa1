// Command otlp-receiver is Mercado's trace receiver for the observability gate: the OpenTelemetry
// Collector's own OTLP receiver (go.opentelemetry.io/collector/receiver/otlpreceiver, OTLP/HTTP,
// protobuf and JSON, exactly as the Collector decodes them), its spans kept in memory and served
// by trace id in the shape of Jaeger's query API (GET /api/traces/{traceID}), so that the gate
// reads them as it would read Jaeger. Jaeger itself (all-in-one, github.com/jaegertracing/jaeger
// v1.75.0, cmd/jaeger) took 485 s to build on a 2-core machine; this takes about 66 s there
// (scripts/otlp-receiver.sh builds it once per source hash).
//
// Usage: otlp-receiver -otlp 127.0.0.1:4318 -api 127.0.0.1:16686. It prints READY once both
// listen. With MERCADO_WATCH_PARENT=1 it exits when the process that started it does.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

type reference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

type tag struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

type span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []reference `json:"references"`
	StartTime     int64       `json:"startTime"`
	Duration      int64       `json:"duration"`
	Tags          []tag       `json:"tags"`
	ServiceName   string      `json:"serviceName"`
	Kind          string      `json:"kind"`
}

type store struct {
	mu     sync.Mutex
	traces map[string][]span
}

func (s *store) consume(_ context.Context, td ptrace.Traces) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rs := range td.ResourceSpans().All() {
		service := ""
		if v, ok := rs.Resource().Attributes().Get("service.name"); ok {
			service = v.AsString()
		}
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				traceID := sp.TraceID().String()
				out := span{
					TraceID:       traceID,
					SpanID:        sp.SpanID().String(),
					OperationName: sp.Name(),
					References:    []reference{},
					StartTime:     int64(sp.StartTimestamp()) / 1000,
					Duration:      int64(sp.EndTimestamp()-sp.StartTimestamp()) / 1000,
					Tags:          []tag{},
					ServiceName:   service,
					Kind:          sp.Kind().String(),
				}
				if !sp.ParentSpanID().IsEmpty() {
					out.References = append(out.References, reference{"CHILD_OF", traceID, sp.ParentSpanID().String()})
				}
				for k, v := range sp.Attributes().All() {
					out.Tags = append(out.Tags, tag{k, v.AsRaw()})
				}
				s.traces[traceID] = append(s.traces[traceID], out)
			}
		}
	}
	return nil
}

func (s *store) serve(w http.ResponseWriter, r *http.Request) {
	id := strings.ToLower(strings.TrimPrefix(r.URL.Path, "/api/traces/"))
	s.mu.Lock()
	spans := append([]span(nil), s.traces[id]...)
	s.mu.Unlock()
	w.Header().Set("content-type", "application/json")
	if len(spans) == 0 {
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{"data": nil, "errors": []map[string]any{{"code": 404, "msg": "trace not found"}}})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"data": []map[string]any{{"traceID": id, "spans": spans}}})
}

func main() {
	otlpAddr := flag.String("otlp", "127.0.0.1:4318", "OTLP/HTTP listen address")
	apiAddr := flag.String("api", "127.0.0.1:16686", "query API listen address")
	flag.Parse()
	if os.Getenv("MERCADO_WATCH_PARENT") == "1" {
		parent := os.Getppid()
		go func() {
			for range time.Tick(time.Second) {
				if os.Getppid() != parent {
					os.Exit(0)
				}
			}
		}()
	}

	s := &store{traces: map[string][]span{}}
	factory := otlpreceiver.NewFactory()
	cfg := factory.CreateDefaultConfig().(*otlpreceiver.Config)
	cfg.Protocols.GRPC = configoptional.None[configgrpc.ServerConfig]()
	cfg.Protocols.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = *otlpAddr
	traces, err := consumer.NewTraces(s.consume)
	if err != nil {
		log.Fatal(err)
	}
	settings := receivertest.NewNopSettings(component.MustNewType("otlp"))
	receiver, err := factory.CreateTraces(context.Background(), settings, cfg, traces)
	if err != nil {
		log.Fatal(err)
	}
	if err := receiver.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/traces/", s.serve)
	listener := &http.Server{Addr: *apiAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { log.Fatal(listener.ListenAndServe()) }()
	time.Sleep(100 * time.Millisecond)
	fmt.Println("READY")
	select {}
}
