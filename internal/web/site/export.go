package site

// RelatedIDs returns the IDs of up to n articles related to the article
// id, in the order its page shows them, from the index the site serves
// with. A static export compares them between runs to tell which article
// pages an edit elsewhere can have changed, without rendering them.
func (s *Site) RelatedIDs(id string, n int) []string {
	idx := s.related.Load()
	if idx == nil || idx.index == nil {
		return nil
	}
	return idx.index.Related(id, n)
}
