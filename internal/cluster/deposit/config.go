package deposit

import "fmt"

// Config is deposit-address reuse's policy; the documented defaults are
// in internal/cluster/config.yaml.
type Config struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
	// AmountToleranceWei: a forward may fall short of what the deposit
	// address received by at most this much (the sweep's gas).
	AmountToleranceWei uint64 `yaml:"amount_tolerance_wei" json:"amount_tolerance_wei"`
	// WindowBlocks: a forward counts when it comes at most this many
	// blocks after the receipt.
	WindowBlocks uint64 `yaml:"window_blocks" json:"window_blocks"`
	// MaxDepositors: a deposit address paid by more senders is not
	// treated as one customer's.
	MaxDepositors int `yaml:"max_depositors" json:"max_depositors"`
}

// Check refuses a configuration that could not mean what it says.
func (c *Config) Check() error {
	switch {
	case c.WindowBlocks == 0:
		return fmt.Errorf("deposit.window_blocks: want at least 1")
	case c.MaxDepositors < 1:
		return fmt.Errorf("deposit.max_depositors %d: want at least 1", c.MaxDepositors)
	}
	return nil
}
