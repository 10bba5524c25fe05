package sdn_test

import (
	"fmt"

	"github.com/chainhound/chainhound/internal/intel/sdn"
)

// Place puts an address listed under an OFAC asset code on its chain; USDT
// lands on Ethereum, TRON or Bitcoin (Omni) by the address's form.
func ExamplePlace() {
	for _, c := range [][2]string{
		{"ETH", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"},
		{"USDT", "TC4VsFHJdZ66BdwobZxkudVZBVmQZgCP65"},
		{"USDT", "16iWn2J1McqjToYLHSsAyS6En3QA8YQ91H"},
		{"BCH", "qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq"},
	} {
		p, err := sdn.Place(c[0], c[1])
		if err != nil {
			panic(err)
		}
		fmt.Println(p.Subject)
	}
	// Output:
	// eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f96
	// tron:728126428:TC4VsFHJdZ66BdwobZxkudVZBVmQZgCP65
	// bip122:000000000019d6689c085ae165831e93:16iWn2J1McqjToYLHSsAyS6En3QA8YQ91H
	// bip122:000000000000000000b15ad892af8f6a:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq
}
