package scenario

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/params"
)

// WorkloadConfig configures RunWorkload. Zero fields take the defaults.
type WorkloadConfig struct {
	Txs         int   // minimum number of transactions to send; default 500
	TxsPerBlock int   // transactions per sealed block; default 20
	Seed        int64 // same seed on a fresh node, same transactions
}

// WorkloadResult lists what a workload touched. It holds no expected
// balances on purpose: the node is the ground truth, read at the head with
// eth_getBalance and BalanceOf for the addresses listed here.
type WorkloadResult struct {
	// Touched is every address whose ether balance may have changed: keys,
	// fresh recipients, contracts (including ones created by contracts and
	// ones destroyed again), self-destruct beneficiaries, withdrawal
	// targets and the fee recipient. Sorted, no duplicates.
	Touched []common.Address
	// Tokens are the ERC-20 contracts, WETH last.
	Tokens []common.Address
	// NFTs are the ERC-721 contracts.
	NFTs []common.Address
	// TxHashes of every transaction sent, in sending order.
	TxHashes []common.Hash
	// Failed counts transactions sealed with status 0.
	Failed int
	// Blocks counts blocks sealed by the workload.
	Blocks uint64
	// Kinds counts transactions per kind of action, keyed by the Kind*
	// constants.
	Kinds map[string]int
	// Withdrawals counts beacon withdrawals queued (and sealed).
	Withdrawals int
}

// Kinds of workload actions, the keys of WorkloadResult.Kinds.
const (
	KindDeploy        = "deploy"             // contract set-up
	KindTransfer      = "eth-transfer"       // key to key
	KindToFresh       = "eth-to-fresh"       // key to a never-seen address
	KindCreateValue   = "create-with-value"  // Sink creation with value
	KindForward       = "forwarder-fan-out"  // internal CALLs with value
	KindTryRevert     = "trycall-revert"     // outer success, inner revert with value
	KindRevert        = "reverter-direct"    // status 0, value not moved, fee paid
	KindOutOfGas      = "out-of-gas"         // status 0, value (if any) not moved
	KindSelfDestruct  = "selfdestruct"       // create with value; destroy to a beneficiary
	KindEphemeral     = "create-destroy"     // created and destroyed in one tx
	KindFactory       = "factory-create"     // internal CREATE with endowment
	KindTokenTransfer = "erc20-transfer"     // ERC-20 or WETH transfer
	KindTokenFail     = "erc20-insufficient" // transfer of more than the balance: reverts
	KindDeposit       = "weth-deposit"       // deposit() or plain ether to WETH
	KindWithdraw      = "weth-withdraw"      // internal CALL with value back
	KindNFTTransfer   = "erc721-transfer"    // transferFrom by the owner
)

// RunWorkload sends at least cfg.Txs transactions of mixed kinds, chosen
// deterministically from cfg.Seed, sealing a block every cfg.TxsPerBlock,
// then checks that every transaction was sealed with the status the
// generator intended. The node needs at least 3 keys.
func RunWorkload(ctx context.Context, n *Node, cfg WorkloadConfig) (*WorkloadResult, error) {
	if cfg.Txs <= 0 {
		cfg.Txs = 500
	}
	if cfg.TxsPerBlock <= 0 {
		cfg.TxsPerBlock = 20
	}
	if len(n.Keys()) < 3 {
		return nil, fmt.Errorf("scenario: workload needs at least 3 keys, node has %d", len(n.Keys()))
	}
	w := newWorkload(ctx, n, cfg)
	if err := w.run(); err != nil {
		return nil, fmt.Errorf("scenario: workload seed %d: %w", cfg.Seed, err)
	}
	return w.result(), nil
}

// workload is the state of one RunWorkload: the contracts it deployed and a
// mirror of token holdings, so that it knows which transfers succeed and
// fails only on purpose.
type workload struct {
	ctx   context.Context
	n     *Node
	cfg   WorkloadConfig
	rng   *rand.Rand
	start uint64 // head before the first transaction

	hashes  []common.Hash
	wantOK  map[common.Hash]bool
	kinds   map[string]int
	touched map[common.Address]bool
	pending int // transactions sent since the last Commit
	blocks  uint64
	wds     int

	fwd, rev, try, factory common.Address
	factoryNonce           uint64
	erc20                  []*tokenBook
	weth                   *tokenBook
	nft                    *nftBook
}

func newWorkload(ctx context.Context, n *Node, cfg WorkloadConfig) *workload {
	w := &workload{
		ctx:     ctx,
		n:       n,
		cfg:     cfg,
		rng:     rand.New(rand.NewPCG(uint64(cfg.Seed), 0x636861696e686f75)),
		start:   n.Head().Number.Uint64(),
		wantOK:  map[common.Hash]bool{},
		kinds:   map[string]int{},
		touched: map[common.Address]bool{n.FeeRecipient(): true},
	}
	for _, a := range n.Addresses() {
		w.touched[a] = true
	}
	return w
}

func (w *workload) run() error {
	if err := w.setup(); err != nil {
		return fmt.Errorf("set up contracts: %w", err)
	}
	for len(w.hashes) < w.cfg.Txs {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if err := w.step(); err != nil {
			return fmt.Errorf("tx %d: %w", len(w.hashes), err)
		}
	}
	if w.pending > 0 {
		if err := w.commit(); err != nil {
			return err
		}
	}
	return w.verify()
}

// setup deploys every contract; later transactions may share their block,
// since Commit executes transactions in sending order.
func (w *workload) setup() error {
	deploys := []struct {
		from int
		code []byte
		dst  *common.Address
	}{
		{0, ForwarderCode(), &w.fwd},
		{0, ReverterCode(), &w.rev},
		{0, TryCallCode(), &w.try},
		{0, FactoryCode(), &w.factory},
	}
	for _, d := range deploys {
		addr, err := w.deploy(d.from, d.code, nil, 300_000)
		if err != nil {
			return err
		}
		*d.dst = addr
	}
	w.factoryNonce = 1 // EIP-161: contracts start at nonce 1
	return w.setupTokens()
}

func (w *workload) setupTokens() error {
	supply := new(big.Int).Mul(big.NewInt(1_000_000), big.NewInt(params.Ether))
	for _, from := range []int{0, 1} {
		addr, err := w.deploy(from, ERC20Code(supply), nil, 300_000)
		if err != nil {
			return err
		}
		b := newTokenBook(addr)
		b.bal[w.n.Address(from)] = new(big.Int).Set(supply)
		w.erc20 = append(w.erc20, b)
	}
	addr, err := w.deploy(0, WETHCode(), nil, 300_000)
	if err != nil {
		return err
	}
	w.weth = newTokenBook(addr)
	const nftCount = 12
	addr, err = w.deploy(2, ERC721Code(nftCount), nil, 1_000_000)
	if err != nil {
		return err
	}
	w.nft = newNFTBook(addr, w.n.Address(2), nftCount)
	return nil
}

func (w *workload) deploy(from int, code []byte, value *big.Int, gas uint64) (common.Address, error) {
	addr, h, err := w.n.Deploy(w.ctx, from, code, value, gas)
	if err != nil {
		return common.Address{}, err
	}
	w.touched[addr] = true
	return addr, w.track(h, KindDeploy, true)
}

// track records a sent transaction and seals a block when one is full.
func (w *workload) track(h common.Hash, kind string, ok bool) error {
	w.hashes = append(w.hashes, h)
	w.wantOK[h] = ok
	w.kinds[kind]++
	w.pending++
	if w.pending >= w.cfg.TxsPerBlock {
		return w.commit()
	}
	return nil
}

// commit queues a few beacon withdrawals now and then and seals a block.
func (w *workload) commit() error {
	if w.rng.IntN(4) == 0 || w.wds == 0 {
		for range 1 + w.rng.IntN(3) {
			to := w.recipient()
			if err := w.n.AddWithdrawal(to, 1+w.rng.Uint64N(32_000_000_000)); err != nil {
				return err
			}
			w.wds++
		}
	}
	if _, err := w.n.Commit(); err != nil {
		return err
	}
	w.blocks++
	w.pending = 0
	return nil
}

func (w *workload) tokens() []*tokenBook { return append(slices.Clone(w.erc20), w.weth) }

// verify reads every receipt back and fails on a transaction missing from
// the chain or sealed with another status than intended, which would mean
// the generator's bookkeeping and the chain disagree.
func (w *workload) verify() error {
	head := w.n.Head().Number.Uint64()
	status := map[common.Hash]uint64{}
	for num := w.start + 1; num <= head; num++ {
		rs, err := w.n.Client().BlockReceipts(w.ctx, blockNumber(num))
		if err != nil {
			return fmt.Errorf("receipts of block %d: %w", num, err)
		}
		for _, r := range rs {
			status[r.TxHash] = r.Status
		}
	}
	var errs []error
	for i, h := range w.hashes {
		s, ok := status[h]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("tx %d %s not sealed", i, h))
		case (s == 1) != w.wantOK[h]:
			errs = append(errs, fmt.Errorf("tx %d %s: status %d, generator intended success=%v", i, h, s, w.wantOK[h]))
		}
	}
	return errors.Join(errs...)
}

func (w *workload) result() *WorkloadResult {
	res := &WorkloadResult{
		TxHashes:    w.hashes,
		Blocks:      w.blocks,
		Kinds:       w.kinds,
		Withdrawals: w.wds,
		NFTs:        []common.Address{w.nft.addr},
	}
	for _, b := range w.tokens() {
		res.Tokens = append(res.Tokens, b.addr)
	}
	for _, ok := range w.wantOK {
		if !ok {
			res.Failed++ // verify proved the chain agrees
		}
	}
	for a := range w.touched {
		res.Touched = append(res.Touched, a)
	}
	slices.SortFunc(res.Touched, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	return res
}

// key picks a random key index; recipient a random key or fresh address.
func (w *workload) key() int { return w.rng.IntN(len(w.n.Keys())) }

func (w *workload) recipient() common.Address {
	if w.rng.IntN(2) == 0 {
		return w.n.Address(w.key())
	}
	return w.fresh()
}

// fresh returns a new address drawn from the seed and marks it touched.
func (w *workload) fresh() common.Address {
	var a common.Address
	for i := 0; i < len(a); i += 8 {
		v := w.rng.Uint64()
		for j := 0; j < 8 && i+j < len(a); j++ {
			a[i+j] = byte(v >> (8 * j))
		}
	}
	w.touched[a] = true
	return a
}

// ether returns a random amount between 0.001 and 10 ether.
func (w *workload) ether() *big.Int {
	milli := 1 + w.rng.Int64N(10_000)
	return new(big.Int).Mul(big.NewInt(milli), big.NewInt(params.Ether/1000))
}
