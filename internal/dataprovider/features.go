package dataprovider

// Drivers lists the data provider drivers built into this binary, by the
// names data_provider.driver takes.
func Drivers() []string {
	if !sqliteBuiltIn {
		return []string{"postgresql", "mysql", "bolt", "memory"}
	}
	return []string{"sqlite", "postgresql", "mysql", "bolt", "memory"}
}
