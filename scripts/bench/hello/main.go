// Command hello is the floor of the start-up benchmark (scripts/bench/startup.sh):
// the smallest Go program that prints a line, built static as carbonprobe is.
package main

import "fmt"

func main() { fmt.Println("hello, world") }
