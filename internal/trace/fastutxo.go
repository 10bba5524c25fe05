package trace

type fastUTXO struct {
	reach []uint32
	flows []fastFlow
}

func (t *fastUTXO) result() *Result { return nil }
