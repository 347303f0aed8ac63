// Renders Ollama TEMPLATEs the way Ollama does: Go's text/template over {.Messages: [{Role, Content}]}.
// Input on stdin: {"template": "...", "conversations": [[{"role": ..., "content": ...}, ...], ...]};
// output on stdout: a JSON list with one rendered prompt per conversation.
package main

import (
	"encoding/json"
	"os"
	"strings"
	"text/template"
)

type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type Input struct {
	Template      string      `json:"template"`
	Conversations [][]Message `json:"conversations"`
}

func main() {
	var in Input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	tmpl := template.Must(template.New("ollama").Parse(in.Template))
	out := []string{}
	for _, conv := range in.Conversations {
		var b strings.Builder
		if err := tmpl.Execute(&b, map[string]any{"Messages": conv}); err != nil {
			panic(err)
		}
		out = append(out, b.String())
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
