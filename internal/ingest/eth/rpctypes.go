package eth

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// These types mirror the Ethereum JSON-RPC objects (execution-apis) that
// ingestion reads. Optional fields that appeared with a fork are pointers, so
// "absent" and "zero" stay distinct.

// Block is an eth_getBlockBy* result with full transaction objects.
type Block struct {
	Number                hexutil.Uint64  `json:"number"`
	Hash                  common.Hash     `json:"hash"`
	ParentHash            common.Hash     `json:"parentHash"`
	Nonce                 *hexutil.Bytes  `json:"nonce"`
	Sha3Uncles            common.Hash     `json:"sha3Uncles"`
	LogsBloom             hexutil.Bytes   `json:"logsBloom"`
	TransactionsRoot      common.Hash     `json:"transactionsRoot"`
	StateRoot             common.Hash     `json:"stateRoot"`
	ReceiptsRoot          common.Hash     `json:"receiptsRoot"`
	Miner                 common.Address  `json:"miner"`
	Difficulty            *hexutil.U256   `json:"difficulty"`
	TotalDifficulty       *hexutil.U256   `json:"totalDifficulty"`
	Size                  hexutil.Uint64  `json:"size"`
	ExtraData             hexutil.Bytes   `json:"extraData"`
	GasLimit              hexutil.Uint64  `json:"gasLimit"`
	GasUsed               hexutil.Uint64  `json:"gasUsed"`
	Timestamp             hexutil.Uint64  `json:"timestamp"`
	MixHash               *common.Hash    `json:"mixHash"`
	Uncles                []common.Hash   `json:"uncles"`
	BaseFeePerGas         *hexutil.U256   `json:"baseFeePerGas"`         // London
	WithdrawalsRoot       *common.Hash    `json:"withdrawalsRoot"`       // Shanghai
	Withdrawals           []Withdrawal    `json:"withdrawals"`           // Shanghai
	BlobGasUsed           *hexutil.Uint64 `json:"blobGasUsed"`           // Cancun
	ExcessBlobGas         *hexutil.Uint64 `json:"excessBlobGas"`         // Cancun
	ParentBeaconBlockRoot *common.Hash    `json:"parentBeaconBlockRoot"` // Cancun
	RequestsHash          *common.Hash    `json:"requestsHash"`          // Prague
	Transactions          []Transaction   `json:"transactions"`
	// TransactionHashes is set instead of Transactions when the node was
	// asked for hashes only (eth_getBlockByNumber(n, false)); DecodeBlock
	// fills it, JSON never does.
	TransactionHashes []common.Hash `json:"-"`
}

// Transaction is a full transaction object inside a block.
type Transaction struct {
	Hash                 common.Hash            `json:"hash"`
	Nonce                hexutil.Uint64         `json:"nonce"`
	BlockHash            *common.Hash           `json:"blockHash"`
	BlockNumber          *hexutil.Uint64        `json:"blockNumber"`
	TransactionIndex     *hexutil.Uint64        `json:"transactionIndex"`
	From                 common.Address         `json:"from"`
	To                   *common.Address        `json:"to"` // nil for contract creation
	Value                hexutil.U256           `json:"value"`
	Gas                  hexutil.Uint64         `json:"gas"`
	GasPrice             *hexutil.U256          `json:"gasPrice"`
	MaxFeePerGas         *hexutil.U256          `json:"maxFeePerGas"`
	MaxPriorityFeePerGas *hexutil.U256          `json:"maxPriorityFeePerGas"`
	MaxFeePerBlobGas     *hexutil.U256          `json:"maxFeePerBlobGas"`
	BlobVersionedHashes  []common.Hash          `json:"blobVersionedHashes"`
	Input                hexutil.Bytes          `json:"input"`
	Type                 *hexutil.Uint64        `json:"type"`
	ChainID              *hexutil.U256          `json:"chainId"`
	AccessList           []AccessTuple          `json:"accessList"`
	AuthorizationList    []SetCodeAuthorization `json:"authorizationList"` // EIP-7702
	V                    *hexutil.U256          `json:"v"`
	R                    *hexutil.U256          `json:"r"`
	S                    *hexutil.U256          `json:"s"`
	YParity              *hexutil.Uint64        `json:"yParity"`
}

// AccessTuple is one EIP-2930 access list entry.
type AccessTuple struct {
	Address     common.Address `json:"address"`
	StorageKeys []common.Hash  `json:"storageKeys"`
}

// SetCodeAuthorization is one EIP-7702 authorization.
type SetCodeAuthorization struct {
	ChainID hexutil.U256   `json:"chainId"`
	Address common.Address `json:"address"`
	Nonce   hexutil.Uint64 `json:"nonce"`
	YParity hexutil.Uint64 `json:"yParity"`
	R       hexutil.U256   `json:"r"`
	S       hexutil.U256   `json:"s"`
}

// Withdrawal is a beacon-chain withdrawal (EIP-4895). Amount is in gwei.
type Withdrawal struct {
	Index          hexutil.Uint64 `json:"index"`
	ValidatorIndex hexutil.Uint64 `json:"validatorIndex"`
	Address        common.Address `json:"address"`
	Amount         hexutil.Uint64 `json:"amount"`
}

// Receipt is an eth_getTransactionReceipt / eth_getBlockReceipts element.
type Receipt struct {
	TransactionHash   common.Hash     `json:"transactionHash"`
	TransactionIndex  hexutil.Uint64  `json:"transactionIndex"`
	BlockHash         common.Hash     `json:"blockHash"`
	BlockNumber       hexutil.Uint64  `json:"blockNumber"`
	From              common.Address  `json:"from"`
	To                *common.Address `json:"to"`
	CumulativeGasUsed hexutil.Uint64  `json:"cumulativeGasUsed"`
	GasUsed           hexutil.Uint64  `json:"gasUsed"`
	ContractAddress   *common.Address `json:"contractAddress"`
	Logs              []Log           `json:"logs"`
	LogsBloom         hexutil.Bytes   `json:"logsBloom"`
	Root              *hexutil.Bytes  `json:"root"`              // pre-Byzantium
	Status            *hexutil.Uint64 `json:"status"`            // Byzantium
	EffectiveGasPrice *hexutil.U256   `json:"effectiveGasPrice"` // absent on old nodes
	BlobGasUsed       *hexutil.Uint64 `json:"blobGasUsed"`
	BlobGasPrice      *hexutil.U256   `json:"blobGasPrice"`
	Type              *hexutil.Uint64 `json:"type"`
}

// Log is one event log of a receipt.
type Log struct {
	Address          common.Address `json:"address"`
	Topics           []common.Hash  `json:"topics"`
	Data             hexutil.Bytes  `json:"data"`
	BlockNumber      hexutil.Uint64 `json:"blockNumber"`
	BlockHash        common.Hash    `json:"blockHash"`
	TransactionHash  common.Hash    `json:"transactionHash"`
	TransactionIndex hexutil.Uint64 `json:"transactionIndex"`
	LogIndex         hexutil.Uint64 `json:"logIndex"`
	Removed          bool           `json:"removed"`
}

// CallFrame is one frame of geth's callTracer output.
type CallFrame struct {
	Type         string          `json:"type"` // CALL, STATICCALL, DELEGATECALL, CALLCODE, CREATE, CREATE2, SELFDESTRUCT
	From         common.Address  `json:"from"`
	To           *common.Address `json:"to"`
	Value        *hexutil.U256   `json:"value"`
	Gas          hexutil.Uint64  `json:"gas"`
	GasUsed      hexutil.Uint64  `json:"gasUsed"`
	Input        hexutil.Bytes   `json:"input"`
	Output       hexutil.Bytes   `json:"output"`
	Error        string          `json:"error"`
	RevertReason string          `json:"revertReason"`
	Calls        []CallFrame     `json:"calls"`
}

// TxCallTrace is one element of debug_traceBlockByNumber with the callTracer.
// Older geth versions omit TxHash; a per-transaction tracer failure fills Error.
type TxCallTrace struct {
	TxHash *common.Hash `json:"txHash"`
	Result *CallFrame   `json:"result"`
	Error  string       `json:"error"`
}

// ParityTrace is one element of the parity/OpenEthereum trace_block result.
type ParityTrace struct {
	Action              ParityAction  `json:"action"`
	Result              *ParityResult `json:"result"`
	Error               string        `json:"error"`
	Subtraces           int           `json:"subtraces"`
	TraceAddress        []int         `json:"traceAddress"`
	TransactionHash     *common.Hash  `json:"transactionHash"`
	TransactionPosition *uint64       `json:"transactionPosition"`
	BlockNumber         uint64        `json:"blockNumber"`
	BlockHash           common.Hash   `json:"blockHash"`
	Type                string        `json:"type"` // call, create, suicide, reward
}

// ParityAction is the action part of a parity trace; which fields are set
// depends on the trace type.
type ParityAction struct {
	CallType      string          `json:"callType"` // call, delegatecall, staticcall, callcode
	From          *common.Address `json:"from"`
	To            *common.Address `json:"to"`
	Value         *hexutil.U256   `json:"value"`
	Gas           *hexutil.Uint64 `json:"gas"`
	Input         hexutil.Bytes   `json:"input"`
	Init          hexutil.Bytes   `json:"init"`
	Address       *common.Address `json:"address"`       // suicide: the destroyed contract
	RefundAddress *common.Address `json:"refundAddress"` // suicide: the beneficiary
	Balance       *hexutil.U256   `json:"balance"`       // suicide: the amount moved
	Author        *common.Address `json:"author"`        // reward
	RewardType    string          `json:"rewardType"`    // reward: block, uncle
}

// ParityResult is the result part of a parity trace.
type ParityResult struct {
	GasUsed *hexutil.Uint64 `json:"gasUsed"`
	Output  hexutil.Bytes   `json:"output"`
	Address *common.Address `json:"address"` // create: the new contract
	Code    hexutil.Bytes   `json:"code"`
}

// GenesisAccount is one genesis allocation.
type GenesisAccount struct {
	Address common.Address
	Balance hexutil.U256
}

// BlockData is everything fetched for one block, checked for consistency:
// Receipts[i] belongs to Block.Transactions[i]. Exactly one of CallTraces and
// ParityTraces is set when traces were fetched (CallTraces[i] belongs to
// transaction i); both are nil with --traces none. Genesis is filled for
// block 0 when the node exposes its allocations.
type BlockData struct {
	Block        Block
	Receipts     []Receipt
	CallTraces   []TxCallTrace
	ParityTraces []ParityTrace
	Genesis      []GenesisAccount
}
