package service

import (
	"github.com/sftpgo-ng/sftpgo/internal/cluster"
	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/httpd"
)

// buildCluster makes this process a node of the shared data provider
// (data_provider.is_shared=1); it returns nil when the provider is not
// shared.
func (s *Service) buildCluster(conns *common.Server) (httpd.NodeService, error) {
	if s.cfg.DataProvider.IsShared != 1 {
		return nil, nil
	}
	c, err := cluster.New(s.store, s.cfg.DataProvider, conns, s.logger)
	if err != nil {
		return nil, err
	}
	s.components = append(s.components, namedComponent{"cluster", c})
	return nodeService{c}, nil
}

// nodeService adapts the cluster to httpd's interface.
type nodeService struct{ *cluster.Cluster }

var _ httpd.NodeService = nodeService{}
