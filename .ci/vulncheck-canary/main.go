// Command canary calls a function with a known vulnerability on purpose: .ci/vulncheck scans it
// before the real tree and requires govulncheck to report it, so a database build that silently
// lost its entries cannot turn the gate green.
package main

import (
	"fmt"

	"golang.org/x/text/language"
)

func main() {
	// golang.org/x/text before v0.3.8: GO-2022-1059, a crafted Accept-Language header makes
	// ParseAcceptLanguage take very long.
	tags, _, err := language.ParseAcceptLanguage("en-GB,en;q=0.8")
	fmt.Println(tags, err)
}
